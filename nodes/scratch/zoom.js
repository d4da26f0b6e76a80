const sharp=require('/work/main/node_modules/sharp');
const N=require('../dist/src/index.js');
(async()=>{ const h=await N.NodeHarness.create(); const seed=+process.argv[2]||2;
 const ph=await N.makeProductPhoto({seed,width:1600,height:1200}); const up=await h.put(ph.jpeg,'image/jpeg');
 const a=await h.runNode(N.inputImageNode,{upload:up}); const b=await h.runNode(N.segmentNode,{image:a.image}); const d=await h.runNode(N.studioCompositeNode,{cutout:b.cutout},JSON.parse(process.argv[3]||'{}'));
 const m=d.image.meta.productBox; const buf=await h.get(d.image);
 await sharp(buf).extract({left:m.x-40,top:m.y+m.height-250,width:500,height:320}).resize(1000).png().toFile('/tmp/sf/zoomL.png');
 await sharp(buf).extract({left:m.x+m.width-460,top:m.y+m.height-250,width:500,height:320}).resize(1000).png().toFile('/tmp/sf/zoomR.png');
 await h.close(); })();
