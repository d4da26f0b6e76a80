const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const fs=require('fs'); const j=fs.readFileSync('/tmp/sf/12mp.jpg');
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
(async()=>{ for (const s of [2048,2000,1999,1500,1024,1000]) { let best=1e9; for(let i=0;i<3;i++){const c=cpu(); await sharp(j).resize(s,s,{fit:'inside'}).raw().toBuffer(); best=Math.min(best,cpu()-c);} console.log(s,best.toFixed(1)); }
 let best=1e9; for(let i=0;i<3;i++){const c=cpu(); await sharp(j).metadata(); best=Math.min(best,cpu()-c);} console.log('meta',best.toFixed(2));
})();
