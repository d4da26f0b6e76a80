const fs=require('fs');const d='/tmp/sf/prof/';const f=fs.readdirSync(d).sort().pop();const p=JSON.parse(fs.readFileSync(d+f));
const self={};const dt={};for(let i=0;i<p.samples.length;i++){dt[p.samples[i]]=(dt[p.samples[i]]||0)+(p.timeDeltas[i]||0);}
for(const n of p.nodes){const k=n.callFrame.functionName+' '+n.callFrame.url.split('/').pop()+':'+n.callFrame.lineNumber;self[k]=(self[k]||0)+(dt[n.id]||0);}
Object.entries(self).sort((a,b)=>b[1]-a[1]).slice(0,+process.argv[2]||20).forEach(([k,v])=>console.log((v/1000).toFixed(1),k));
