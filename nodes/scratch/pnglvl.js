const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const fs=require('fs'); const crypto=require('crypto');
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
async function time(label,fn,n=6){let best=1e9,r;for(let i=0;i<n;i++){const c=cpu();r=await fn();best=Math.min(best,cpu()-c);}console.log(label.padEnd(34),best.toFixed(1),'ms', r&&r.length?(r.length/1e6).toFixed(2)+'MB':'');return r;}
(async()=>{
 for (const f of ['/tmp/sf/e2e-mask.png','/tmp/sf/e2e-comp.png','/tmp/sf/e2e-cut.png','/tmp/sf/e2e-in.png']) {
  const {data,info}=await sharp(f).raw().toBuffer({resolveWithObject:true}); const ri={raw:{width:info.width,height:info.height,channels:info.channels}};
  console.log(f, info.width, info.height, info.channels);
  for (const [l,o] of [['c0',{compressionLevel:0,adaptiveFiltering:false}],['c1 nofilter',{compressionLevel:1,adaptiveFiltering:false}],['c1 adaptive',{compressionLevel:1,adaptiveFiltering:true}]]) {
   let s=sharp(data,ri); if(info.channels===1) s=s.toColourspace('b-w');
   const b=await time(' enc '+l,()=>s.clone().png(o).toBuffer());
   await time('   dec',()=>sharp(b).raw().toBuffer());
   await time('   hash',()=>Promise.resolve(crypto.createHash('sha256').update(b).digest()));
  }
 }
})();
