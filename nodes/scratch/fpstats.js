const {makeProductPhoto}=require('../dist/src/testing/synthetic-product.js');
const {classicalMatte}=require('../dist/src/image/classical-segmenter.js');
const {decodeToRaw}=require('../dist/src/image/raw-image.js');
const {toLabPlanes}=require('../dist/src/image/lab.js');
const {fitBackground,evalBackground}=require('../dist/src/image/background-model.js');
(async()=>{ for (const s of [1,2,14]) { const p=await makeProductPhoto({seed:s}); const img=await decodeToRaw(p.jpeg,'x');
 const m=await classicalMatte(img,{sensitivity:0.5,shadowTolerance:0.5,holes:'auto'});
 const lab=toLabPlanes(img.data,img.width*img.height,3); const bgm=fitBackground(lab,img.data,3,img.width,img.height);
 const bg=new Float64Array(6); const rows=[];
 for(let i=0;i<p.mask.length;i++){ if(m.alpha[i]>=128 && !p.mask[i]){ const x=i%img.width,y=(i-x)/img.width; evalBackground(bgm,x/(img.width-1),y/(img.height-1),bg); rows.push([lab.L[i]-bg[0], Math.hypot(lab.a[i]-bg[1],lab.b[i]-bg[2]), bg[0]]); } }
 rows.sort((a,b)=>a[0]-b[0]); const q=(k)=>rows[Math.floor(k*(rows.length-1))].map(v=>v.toFixed(1)).join('/');
 console.log(s,'n',rows.length,'dL/chroma/Lbg quantiles', q(0), q(0.1), q(0.5), q(0.9), q(1));
 const hist={}; for(const r of rows){const k=Math.round(r[1]); hist[k]=(hist[k]||0)+1;} console.log(' chroma hist',JSON.stringify(hist));
}})();
