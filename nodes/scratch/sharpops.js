const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
async function time(label,fn,n=8){let best=1e9;for(let i=0;i<n;i++){const c=cpu();await fn();best=Math.min(best,cpu()-c);}console.log(label.padEnd(40),best.toFixed(1));}
(async()=>{ const rgb=Buffer.alloc(2048*1536*3); for(let i=0;i<rgb.length;i++)rgb[i]=(i*7)&255;
 const raw={raw:{width:2048,height:1536,channels:3}};
 await time('reduce cubic',()=>sharp(rgb,raw).resize(640,480,{fit:'fill',kernel:'cubic'}).toColourspace('srgb').raw().toBuffer());
 await time('reduce linear',()=>sharp(rgb,raw).resize(640,480,{fit:'fill',kernel:'linear'}).raw().toBuffer());
 await time('reduce nearest',()=>sharp(rgb,raw).resize(640,480,{fit:'fill',kernel:'nearest'}).raw().toBuffer());
 await time('shrink 4 (512x384) linear',()=>sharp(rgb,raw).resize(512,384,{fit:'fill',kernel:'linear'}).raw().toBuffer());
 const m=Buffer.alloc(640*480,100);
 await time('upscale 1ch linear',()=>sharp(m,{raw:{width:640,height:480,channels:1}}).resize(2048,1536,{fit:'fill',kernel:'linear'}).toColourspace('b-w').raw().toBuffer());
 await time('upscale 1ch nearest',()=>sharp(m,{raw:{width:640,height:480,channels:1}}).resize(2048,1536,{fit:'fill',kernel:'nearest'}).toColourspace('b-w').raw().toBuffer());
 await time('noop raw',()=>sharp(rgb,raw).raw().toBuffer());
 await time('sharp tiny',()=>sharp(m,{raw:{width:64,height:48,channels:1}}).raw().toBuffer());
})();
