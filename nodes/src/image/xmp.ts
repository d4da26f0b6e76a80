import type { RunInfo } from '@studioflow/runtime/contract';

/** IPTC Digital Source Type codes a delivered shot may carry (Google requires them on AI images). */
export const DIGITAL_SOURCE_TYPES = [
  'digitalCapture',
  'compositeCapture',
  'compositeSynthetic',
  'compositeWithTrainedAlgorithmicMedia',
  'trainedAlgorithmicMedia',
] as const;
export type DigitalSourceType = (typeof DIGITAL_SOURCE_TYPES)[number];

export const STUDIOFLOW_XMP_NS = 'https://studioflow.dev/ns/xmp/1.0/';

/** An XMP packet tying a delivered file to the run, graph version and template that made it. */
export function traceabilityXmp(run: RunInfo, nodeId: string, sourceType: DigitalSourceType, createdAt = new Date()): string {
  const attrs: Array<[string, string | number | undefined]> = [
    ['sf:RunId', run.runId],
    ['sf:GraphId', run.graphId],
    ['sf:GraphVersion', run.graphVersion],
    ['sf:TemplateId', run.templateId],
    ['sf:NodeId', nodeId],
    ['xmp:CreatorTool', 'Studioflow'],
    ['xmp:CreateDate', createdAt.toISOString()],
    ['Iptc4xmpExt:DigitalSourceType', `http://cv.iptc.org/newscodes/digitalsourcetype/${sourceType}`],
  ];
  const body = attrs
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `\n    ${k}="${escapeXml(String(v))}"`)
    .join('');
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    + '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    + ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    + '  <rdf:Description rdf:about=""\n'
    + '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
    + '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
    + `    xmlns:sf="${STUDIOFLOW_XMP_NS}"${body}/>\n`
    + ' </rdf:RDF>\n'
    + '</x:xmpmeta>\n'
    + '<?xpacket end="w"?>'
  );
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}
