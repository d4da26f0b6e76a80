const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
async function time(label,fn,n=6){let best=1e9;for(let i=0;i<n;i++){const c=cpu();await fn();best=Math.min(best,cpu()-c);}console.log(label.padEnd(40),best.toFixed(1));}
(async()=>{ 
 const rgba=Buffer.alloc(1200*1200*4,100), rgb=Buffer.alloc(1200*1200*3,100);
 for (const k of ['lanczos3','lanczos2','mitchell','cubic','linear','mks2013','mks2021']) {
 await time('rgba '+k,()=>sharp(rgba,{raw:{width:1200,height:1200,channels:4}}).resize(1740,1740,{fit:'fill',kernel:k}).raw().toBuffer());
 await time('rgb '+k,()=>sharp(rgb,{raw:{width:1200,height:1200,channels:3}}).resize(1740,1740,{fit:'fill',kernel:k}).raw().toBuffer());
 }
 await time('rgb down 2400->1740 lanczos3',()=>sharp(Buffer.alloc(2400*2400*3),{raw:{width:2400,height:2400,channels:3}}).resize(1740,1740,{fit:'fill'}).raw().toBuffer());
 await time('rgba down 2400->1740 lanczos3',()=>sharp(Buffer.alloc(2400*2400*4),{raw:{width:2400,height:2400,channels:4}}).resize(1740,1740,{fit:'fill'}).raw().toBuffer());
 await time('rgba affine bilinear', ()=>sharp(rgba,{raw:{width:1200,height:1200,channels:4}}).affine([1.45,0,0,1.45],{interpolator:'bilinear'}).raw().toBuffer());
})();
