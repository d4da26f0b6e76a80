const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const {classicalMatte}=require('../dist/src/image/classical-segmenter.js');
const {decodeToRaw}=require('../dist/src/image/raw-image.js');
const fs=require('fs');
(async()=>{ const j=fs.readFileSync('/tmp/sf/12mp.jpg'); const png=await sharp(j).resize(2048,2048,{fit:'inside'}).png({compressionLevel:0}).toBuffer();
 for(let k=0;k<(+process.env.ITER||5);k++){ const c=process.cpuUsage(); const img=await decodeToRaw(png,'x'); const c1=process.cpuUsage(c);
  const m=await classicalMatte(img,{sensitivity:0.5,shadowTolerance:0.5,holes:'auto',analysisSide:+process.env.SIDE||undefined}); const c2=process.cpuUsage(c);
  console.log('decode',((c1.user+c1.system)/1000).toFixed(1),'total',((c2.user+c2.system)/1000).toFixed(1)); }
})();
