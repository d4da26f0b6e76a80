const sharp=require('/work/main/node_modules/sharp');
const N=require('../dist/src/index.js'); const fs=require('fs');
(async()=>{ const h=await N.NodeHarness.create(); const outs=[];
 const variants=[[2,{}],[4,{background:'sweep',color:'#f4f1ec',secondColor:'#cfcac2'}],[1,{background:'gradient',color:'#ffffff',secondColor:'#c9d3de',reflection:0.5}],[6,{background:'solid',color:'#f3e6d8',size:'4:5-1600x2000',placement:'thirds'}],[8,{size:'16:9-2048x1152',shadow:0.6}],[3,{background:'sweep',color:'#e9eef2',secondColor:'#9fb0c0',reflection:0.3,fill:0.7}]];
 for (const [seed,p] of variants){ const ph=await N.makeProductPhoto({seed,width:1600,height:1200}); const up=await h.put(ph.jpeg,'image/jpeg');
  const a=await h.runNode(N.inputImageNode,{upload:up}); const b=await h.runNode(N.segmentNode,{image:a.image}); const d=await h.runNode(N.studioCompositeNode,{cutout:b.cutout},p);
  outs.push(await sharp(await h.get(d.image)).resize(500,500,{fit:'contain',background:'#f0f'}).png().toBuffer()); }
 await sharp({create:{width:1500,height:1000,channels:3,background:'#000'}}).composite(outs.map((input,i)=>({input,left:(i%3)*500,top:Math.floor(i/3)*500}))).png().toFile('/tmp/sf/looks.png');
 await h.close(); })();
