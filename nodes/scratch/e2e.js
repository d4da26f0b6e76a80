const sharp=require('/work/main/node_modules/sharp'); sharp.concurrency(1); if(process.env.NOCACHE) sharp.cache(false);
const N=require('../dist/src/index.js'); const fs=require('fs');
const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000;};
(async()=>{ const h=await N.NodeHarness.create({run:{runId:'run-xyz',graphId:'g1',graphVersion:3,templateId:'tpl'}});
 const jpeg=fs.readFileSync(process.env.IMG||'/tmp/sf/12mp.jpg'); const up=await h.put(jpeg,'image/jpeg');
 const cp=JSON.parse(process.env.CP||'{}');
 for (let it=0; it<(+process.env.ITER||4); it++){
 const t={}; let c=cpu(); const w0=Date.now();
 const a=await h.runNode(N.inputImageNode,{upload:up}); t.input=cpu()-c; c=cpu();
 const b=await h.runNode(N.segmentNode,{image:a.image}); t.segment=cpu()-c; c=cpu();
 const d=await h.runNode(N.studioCompositeNode,{cutout:b.cutout},cp); t.composite=cpu()-c; c=cpu();
 const e=await h.runNode(N.deliverNode,{image:d.image}); t.deliver=cpu()-c;
 const tot=Object.values(t).reduce((x,y)=>x+y,0);
 console.log(Object.entries(t).map(([k,v])=>k+' '+v.toFixed(0)).join('  '),' total',tot.toFixed(0),'wall',Date.now()-w0,'rss',(process.memoryUsage().rss/1e6).toFixed(0)+'MB');
 if(it===0){ for (const [k,r] of [['in',a.image],['cut',b.cutout],['mask',b.mask],['comp',d.image],['out',e.jpeg],['thumb',e.thumbnail]]) { fs.writeFileSync('/tmp/sf/e2e-'+k+(r.mime==='image/jpeg'?'.jpg':'.png'), await h.get(r)); }
  console.log(JSON.stringify(b.cutout.meta), JSON.stringify(d.image.meta), JSON.stringify(e.report)); }
 }
 await h.close();
})();
