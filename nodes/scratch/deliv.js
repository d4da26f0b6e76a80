const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
async function time(label,fn,n=5){let best=1e9;for(let i=0;i<n;i++){const c=cpu();await fn();best=Math.min(best,cpu()-c);}console.log(label.padEnd(40),best.toFixed(1));}
(async()=>{ const png=require('fs').readFileSync('/tmp/sf/e2e-comp.png'); const {data,info}=await sharp(png).raw().toBuffer({resolveWithObject:true});
 const r={raw:{width:info.width,height:info.height,channels:3}};
 await time('decode png',()=>sharp(png).raw().toBuffer());
 await time('jpeg q90',()=>sharp(data,r).jpeg({quality:90}).toBuffer());
 await time('jpeg q90 icc',()=>sharp(data,r).jpeg({quality:90}).withIccProfile('srgb').toBuffer());
 await time('jpeg q90 no optimise',()=>sharp(data,r).jpeg({quality:90,optimiseCoding:false}).toBuffer());
 await time('jpeg q90 mozjpeg',()=>sharp(data,r).jpeg({quality:90,mozjpeg:true}).toBuffer(),2);
 for (const e of [0,1,2,4]) await time('webp q85 e'+e,()=>sharp(data,r).webp({quality:85,effort:e}).toBuffer());
 await time('webp q85 e1 icc',()=>sharp(data,r).webp({quality:85,effort:1}).withIccProfile('srgb').toBuffer());
 await time('thumb 384',()=>sharp(data,r).resize(384,384,{fit:'inside'}).jpeg({quality:80}).toBuffer());
 await time('thumb 384 shrink-ish linear',()=>sharp(data,r).resize(384,384,{fit:'inside',kernel:'linear'}).jpeg({quality:80}).toBuffer());
})();
