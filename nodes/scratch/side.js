const sharp=require('/work/main/node_modules/sharp');
(async()=>{ const files=process.argv.slice(2,-1), out=process.argv.at(-1); const ims=[];
 for(const f of files){ ims.push(await sharp(f).removeAlpha().toColourspace('srgb').resize(600,450,{fit:'contain',background:'#f0f'}).png().toBuffer()); }
 const buf=await sharp({create:{width:600*ims.length,height:450,channels:3,background:'#fff'}}).composite(ims.map((input,i)=>({input,left:600*i,top:0}))).png().toBuffer();
 await sharp(buf).toFile(out);})();
