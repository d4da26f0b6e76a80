const sharp=require('/work/main/node_modules/sharp');
const {makeProductPhoto}=require('../dist/src/testing/synthetic-product.js');
const {classicalMatte}=require('../dist/src/image/classical-segmenter.js');
const {decodeToRaw}=require('../dist/src/image/raw-image.js');
const N=+process.argv[2]||24, W=+process.argv[3]||1200, H=+process.argv[4]||900;
(async()=>{ let sum=0; const rows=[];
 for(let s=1;s<=N;s++){ const p=await makeProductPhoto({seed:s,width:W,height:H});
  const img=await decodeToRaw(p.jpeg,'x'); const t=Date.now();
  const m=await classicalMatte(img,{sensitivity:0.5,shadowTolerance:0.5,holes:'auto',analysisSide:+process.env.SIDE||undefined}); const dt=Date.now()-t;
  let inter=0,uni=0,fp=0,fn=0; for(let i=0;i<p.mask.length;i++){const a=m.alpha[i]>=128, g=p.mask[i]>0; if(a&&g)inter++; if(a||g)uni++; if(a&&!g)fp++; if(!a&&g)fn++;}
  const iou=inter/uni; sum+=iou; console.log(s,p.kind.padEnd(6),iou.toFixed(4),'fp',fp,'fn',fn,'thr',m.stats.threshold.toFixed(2),'noise',m.stats.noise.toFixed(2),dt+'ms');
  if(process.env.DUMP) { await sharp(Buffer.from(m.alpha),{raw:{width:W,height:H,channels:1}}).png().toFile('/tmp/sf/a'+s+'.png'); require('fs').writeFileSync('/tmp/sf/p'+s+'.jpg',p.jpeg);}
 } console.log('mean IoU',(sum/N).toFixed(4)); })();
