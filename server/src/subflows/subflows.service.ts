import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import {
  checkGraph,
  embeddedResolver,
  expandSubflows,
  subflowDescriptor,
  subflowKey,
  subflowPortProblems,
  subflowUses,
  type GraphDoc,
  type GraphProblem,
  type NodeTypeDescriptor,
  type Resource,
  type SubflowDefinition,
  type SubflowVersionRef,
} from '@studioflow/runtime/graph';
import type { Principal } from '../auth/access-policy';
import { GraphProblemsException, isUuid, quote } from '../common/errors';
import { CATALOG, PG_POOL } from '../db/infra.module';
import type { CreateSubflowBody, NewSubflowVersionBody } from './subflows.schemas';
import { inTransaction } from '@studioflow/runtime/store';

type DefinitionBody = Omit<CreateSubflowBody, 'name'> & { name: string };

/** Subflows of a tenant: reusable node groups with immutable numbered versions. */
@Injectable()
export class SubflowsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
  ) {}

  /** Every subflow of the tenant with its latest version as a node type (the editor's palette). */
  async list(p: Principal) {
    const { rows } = await this.pool.query(
      `SELECT s.id, s.name, s.description, s.updated_at AS "updatedAt", v.version AS "latestVersion", v.definition
       FROM subflows s
       JOIN LATERAL (SELECT version, definition FROM subflow_versions WHERE subflow_id = s.id ORDER BY version DESC LIMIT 1) v ON true
       WHERE s.tenant_id = $1 ORDER BY s.name, s.id LIMIT 500`,
      [p.tenantId],
    );
    return rows.map(({ definition, ...row }) => ({ ...row, descriptor: subflowDescriptor(definition as SubflowDefinition) }));
  }

  async detail(p: Principal, id: string) {
    const row = await this.find(p, id);
    const { rows } = await this.pool.query(
      `SELECT version, message, created_at AS "createdAt" FROM subflow_versions WHERE subflow_id = $1 ORDER BY version DESC`,
      [row.id],
    );
    const latest = (await this.load(p.tenantId, row.id, 'latest'))!;
    return { ...row, latestVersion: latest.version, versions: rows, definition: latest, descriptor: subflowDescriptor(latest) };
  }

  async version(p: Principal, id: string, version: number): Promise<SubflowDefinition> {
    const row = await this.find(p, id);
    const def = await this.load(p.tenantId, row.id, version);
    if (!def) throw new NotFoundException(`subflow ${quote(id)} has no version ${version}`);
    return def;
  }

  async create(p: Principal, body: CreateSubflowBody): Promise<SubflowDefinition> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO subflows (tenant_id, name, description) VALUES ($1, $2, $3) RETURNING id`,
        [p.tenantId, body.name, body.description ?? ''],
      );
      return this.insertVersion(client, p, rows[0].id, 1, body, '');
    });
  }


  /** Saves an edited subflow as its next version; instances following `latest` use it from the next commit of their graph. */
  async addVersion(p: Principal, id: string, body: NewSubflowVersionBody): Promise<SubflowDefinition> {
    const row = await this.find(p, id);
    return inTransaction(this.pool, async (client) => {
      await client.query(`SELECT id FROM subflows WHERE id = $1 FOR UPDATE`, [row.id]);
      const { rows } = await client.query(`SELECT coalesce(max(version), 0) + 1 AS next FROM subflow_versions WHERE subflow_id = $1`, [row.id]);
      const name = body.name ?? row.name;
      const def = await this.insertVersion(client, p, row.id, rows[0].next, { ...body, name }, body.message);
      await client.query(`UPDATE subflows SET name = $2, description = $3, updated_at = now() WHERE id = $1`, [row.id, name, body.description ?? row.description]);
      return def;
    });
  }


  /** Committed graph versions keep the definitions they were committed with; drafts using it then show it as unknown. */
  async remove(p: Principal, id: string): Promise<void> {
    const row = await this.find(p, id);
    await this.pool.query(`DELETE FROM subflows WHERE id = $1`, [row.id]);
  }

  /**
   * The definitions a graph's instances use, recursively, as `GraphDoc.subflows` holds them:
   * `latest` resolved to the current latest version, so a committed version keeps what it ran with.
   */
  async resolve(tenantId: string, doc: Pick<GraphDoc, 'nodes'>): Promise<Record<string, SubflowDefinition>> {
    const found: Record<string, SubflowDefinition> = {};
    const seen = new Set<string>();
    let pending = Array.isArray(doc?.nodes) ? subflowUses(doc) : [];
    while (pending.length) {
      const next: typeof pending = [];
      for (const use of pending) {
        const key = `${use.id}@${use.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const def = await this.load(tenantId, use.id, use.version);
        if (!def) continue; // the validator names the instance
        found[subflowKey(def.id, def.version)] = def;
        if (Array.isArray(def.graph?.nodes)) next.push(...subflowUses(def.graph));
      }
      pending = next;
    }
    return found;
  }

  /** The graph with the definitions its instances use embedded (what a committed version stores). */
  async withSubflows(tenantId: string, doc: GraphDoc): Promise<GraphDoc> {
    const subflows = await this.resolve(tenantId, doc);
    const { subflows: _ignored, ...plain } = doc;
    return Object.keys(subflows).length ? { ...plain, subflows } : plain;
  }

  private async insertVersion(client: PoolClient, p: Principal, id: string, version: number, body: DefinitionBody, message: string): Promise<SubflowDefinition> {
    const def = await this.definition(p.tenantId, id, version, body);
    await client.query(
      `INSERT INTO subflow_versions (subflow_id, version, tenant_id, definition, message, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, version, p.tenantId, JSON.stringify(def), message, p.userId ?? null],
    );
    return def;
  }

  /**
   * Checks a subflow before it is saved (422 with every problem): its inner graph (nested subflows
   * included; one that contains this subflow is refused), its ports against the inner ports, and its
   * exposed params against the inner schemas, whose JSON Schema it copies for the instance's form.
   */
  private async definition(tenantId: string, id: string, version: number, body: DefinitionBody): Promise<SubflowDefinition> {
    const graph = body.graph as GraphDoc;
    const draft: SubflowDefinition = {
      id,
      version,
      name: body.name,
      ...(body.description ? { description: body.description } : {}),
      graph: { nodes: graph.nodes, edges: graph.edges },
      inputs: body.inputs,
      outputs: body.outputs,
      params: [],
    };
    const nested = await this.resolve(tenantId, graph);
    // This very version is `latest` while checking, so a nested subflow that uses this one shows up as a cycle.
    const known = { ...nested, [subflowKey(id, version)]: draft };
    const resolver = embeddedResolver({ subflows: known });
    const catalog = this.catalogWith(Object.values(nested));
    const checked = checkGraph(graph, this.catalog.descriptors, resolver);
    const fedByPorts = new Set(body.inputs.flatMap((port) => port.targets.map((t) => `${t.node}.${t.port}`)));
    const problems: GraphProblem[] = checked.problems.filter((problem) => !(problem.code === 'missing_input' && fedByPorts.has(`${problem.nodeId}.${problem.port}`)));
    // Expanded apart from the check, which stops at the drawn graph while inputs fed by ports look unconnected.
    const expanded = expandSubflows(graph, resolver);
    if (Object.keys(expanded.used).some((key) => key.startsWith(`${id}@`)) || expanded.problems.some((x) => x.code === 'subflow_cycle')) {
      problems.push({ code: 'subflow_cycle', message: `subflow "${body.name}" would contain itself: a subflow cannot use itself, directly or through another subflow` });
    }
    for (const message of subflowPortProblems(draft, catalog)) problems.push({ code: 'unknown_port', message });
    const params = [];
    const paramNames = new Set<string>();
    for (const exposed of body.params) {
      const node = graph.nodes.find((n) => n.id === exposed.node);
      const descriptor = node && catalog.find((d) => d.type === node.type);
      const schema = descriptor?.params.properties[exposed.param];
      if (paramNames.has(exposed.name)) problems.push({ code: 'invalid_params', message: `exposed param "${exposed.name}" is declared twice` });
      paramNames.add(exposed.name);
      if (!node || !schema) {
        problems.push({ code: 'invalid_params', nodeId: exposed.node, message: `exposed param "${exposed.name}" names ${node ? `no param "${exposed.param}" of ${node.type}` : `no node '${exposed.node}'`}` });
        continue;
      }
      const { default: schemaDefault, ...rest } = schema;
      const value = exposed.default !== undefined ? exposed.default : (node.params?.[exposed.param] ?? schemaDefault);
      params.push({ ...exposed, schema: rest, ...(value !== undefined ? { default: value } : {}) });
    }
    if (problems.length) throw new GraphProblemsException(problems, `the subflow cannot be saved: ${problems.map((x) => x.message).slice(0, 5).join('; ')}`);
    return { ...draft, params, resource: remotestResource(checked.doc, catalog) };
  }

  /** The node catalog plus nested subflows as node types (latest version last, so it wins). */
  private catalogWith(defs: SubflowDefinition[]): NodeTypeDescriptor[] {
    return [...this.catalog.descriptors, ...defs.sort((a, b) => a.version - b.version).map(subflowDescriptor)];
  }

  private async find(p: Principal, id: string): Promise<{ id: string; name: string; description: string; createdAt: Date; updatedAt: Date }> {
    const { rows } = isUuid(id)
      ? await this.pool.query(
          `SELECT id, name, description, created_at AS "createdAt", updated_at AS "updatedAt" FROM subflows WHERE id = $1 AND tenant_id = $2`,
          [id, p.tenantId],
        )
      : { rows: [] };
    if (!rows[0]) throw new NotFoundException(`subflow ${quote(id)} not found`);
    return rows[0];
  }

  private async load(tenantId: string, id: string, version: SubflowVersionRef): Promise<SubflowDefinition | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.pool.query(
      `SELECT definition FROM subflow_versions WHERE subflow_id = $1 AND tenant_id = $2 AND ($3::int IS NULL OR version = $3)
       ORDER BY version DESC LIMIT 1`,
      [id, tenantId, version === 'latest' ? null : version],
    );
    return rows[0]?.definition;
  }
}

/** Where a subflow's work runs, as the palette badges it: on a GPU if any inner node does, else the cloud, else the CPU. */
function remotestResource(doc: GraphDoc, catalog: readonly NodeTypeDescriptor[]): Resource {
  const resources = new Set(doc.nodes.map((n) => catalog.find((d) => d.type === n.type)?.resource));
  return resources.has('gpu') ? 'gpu' : resources.has('cloud') ? 'cloud' : 'cpu';
}
