const {makeProductPhoto}=require('/work/main/nodes/dist/src/index.js'); const sharp=require('/work/main/node_modules/sharp');
sharp.concurrency(1);
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
async function time(label,fn,n=3){let best=1e9,r;for(let i=0;i<n;i++){const c=cpu();r=await fn();best=Math.min(best,cpu()-c);}console.log(label.padEnd(40),best.toFixed(1),'ms cpu', r&&r.length?(r.length/1e6).toFixed(2)+' MB':'');return r;}
(async()=>{
 const p=await makeProductPhoto({seed:3,width:4000,height:3000}); require('fs').writeFileSync('/tmp/sf/12mp.jpg',p.jpeg);
 console.log('jpeg bytes',p.jpeg.length);
 await time('decode full jpeg raw',()=>sharp(p.jpeg).raw().toBuffer());
 const raw=await time('decode+resize 2048 raw',()=>sharp(p.jpeg).resize(2048,2048,{fit:'inside'}).raw().toBuffer());
 await time('decode+resize 2048 raw (shrink 1/2 = 2000)',()=>sharp(p.jpeg).resize(2000,2000,{fit:'inside'}).raw().toBuffer());
 const ri={raw:{width:2048,height:1536,channels:3}};
 for (const [l,o] of [['png c0',{compressionLevel:0}],['png c0 nofilter',{compressionLevel:0,adaptiveFiltering:false}],['png c1',{compressionLevel:1}],['png c1 nofilter',{compressionLevel:1,adaptiveFiltering:false}],['png c2',{compressionLevel:2}],['png c1 effort1',{compressionLevel:1,effort:1}]]){
   const b=await time('encode '+l,()=>sharp(raw,ri).png(o).toBuffer());
   await time('  decode '+l,()=>sharp(b).raw().toBuffer());
 }
 await time('encode webp lossless',()=>sharp(raw,ri).webp({lossless:true,effort:0}).toBuffer(),1);
 await time('encode jpeg q90',()=>sharp(raw,ri).jpeg({quality:90}).toBuffer());
 await time('encode webp q85 e0',()=>sharp(raw,ri).webp({quality:85,effort:0}).toBuffer());
 await time('encode webp q85 e2',()=>sharp(raw,ri).webp({quality:85,effort:2}).toBuffer());
 await time('encode tiff raw',()=>sharp(raw,ri).tiff({compression:'none'}).toBuffer());
 await time('copy raw',()=>Promise.resolve(Buffer.from(raw)));
})();
