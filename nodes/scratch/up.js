const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1);
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
async function time(label,fn,n=8){let best=1e9;for(let i=0;i<n;i++){const c=cpu();await fn();best=Math.min(best,cpu()-c);}console.log(label.padEnd(40),best.toFixed(1));}
(async()=>{ const m=Buffer.alloc(512*384*4,100);
 await time('upscale 4ch linear 4x',()=>sharp(m,{raw:{width:512,height:384,channels:4}}).resize(2048,1536,{fit:'fill',kernel:'linear'}).raw().toBuffer());
 const m1=Buffer.alloc(512*384,100);
 await time('upscale 1ch linear 4x no cs',()=>sharp(m1,{raw:{width:512,height:384,channels:1}}).resize(2048,1536,{fit:'fill',kernel:'linear'}).raw().toBuffer());
 await time('upscale 1ch linear 4x extract',()=>sharp(m1,{raw:{width:512,height:384,channels:1}}).resize(2048,1536,{fit:'fill',kernel:'linear'}).extractChannel(0).raw().toBuffer());
 await time('upscale 1ch nearest 4x',()=>sharp(m1,{raw:{width:512,height:384,channels:1}}).resize(2048,1536,{fit:'fill',kernel:'nearest'}).extractChannel(0).raw().toBuffer());
 const rgba=Buffer.alloc(1200*1200*4,100);
 await time('resize rgba 1200->1740 lanczos',()=>sharp(rgba,{raw:{width:1200,height:1200,channels:4}}).resize(1740,1740,{fit:'fill'}).raw().toBuffer());
 await time('resize rgba 1200->1740 cubic',()=>sharp(rgba,{raw:{width:1200,height:1200,channels:4}}).resize(1740,1740,{fit:'fill',kernel:'cubic'}).raw().toBuffer());
 await time('resize rgba 1200->1740 linear',()=>sharp(rgba,{raw:{width:1200,height:1200,channels:4}}).resize(1740,1740,{fit:'fill',kernel:'linear'}).raw().toBuffer());
 const canvas=Buffer.alloc(2048*2048*3,255);
 await time('composite+png c0',()=>sharp(canvas,{raw:{width:2048,height:2048,channels:3}}).composite([{input:rgba,raw:{width:1200,height:1200,channels:4},left:400,top:400}]).png({compressionLevel:0,adaptiveFiltering:false}).toBuffer());
 await time('png c0 only',()=>sharp(canvas,{raw:{width:2048,height:2048,channels:3}}).png({compressionLevel:0,adaptiveFiltering:false}).toBuffer());
})();
