import { ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import { nodeDescriptor, type GraphDoc, type PublishTemplateBody, type TemplateListing, type TemplateOption } from '@studioflow/runtime/graph';
import { compilePlan, GraphInvalidError } from '@studioflow/runtime/scheduler';
import type { Principal } from '../auth/access-policy';
import { isUuid, quote } from '../common/errors';
import { TemplateEntity, GraphVersionEntity } from '../db/entities';
import { CATALOG } from '../db/infra.module';

/** Templates: a published graph version plus the params end users may set, and a price. */
@Injectable()
export class TemplatesService {
  constructor(
    @InjectRepository(TemplateEntity) private readonly templates: Repository<TemplateEntity>,
    @InjectRepository(GraphVersionEntity) private readonly versions: Repository<GraphVersionEntity>,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
  ) {}

  async publish(p: Principal, input: PublishTemplateBody): Promise<TemplateEntity> {
    const version = isUuid(input.graphVersionId)
      ? await this.versions.findOne({ where: { id: input.graphVersionId, tenantId: p.tenantId } })
      : null;
    if (!version) throw new NotFoundException(`graph version ${input.graphVersionId} not found`);
    for (const e of input.exposedParams) {
      const node = version.doc.nodes.find((n) => n.id === e.nodeId);
      if (!node) throw new UnprocessableEntityException(`exposed param ${e.nodeId}.${e.param}: no node "${e.nodeId}" in the version`);
      const descriptor = nodeDescriptor(version.doc, node, this.catalog.descriptors);
      if (!descriptor?.params.properties[e.param]) {
        throw new UnprocessableEntityException(`exposed param ${e.nodeId}.${e.param}: ${node.type} has no param "${e.param}"`);
      }
    }
    // Slugs are unique per owner: the check never looks at (or reveals) other tenants' names.
    const existing = await this.templates.findOne({ where: { tenantId: p.tenantId, slug: input.slug } });
    if (existing) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `your tenant already has a template with slug "${input.slug}": repoint it to this version with PATCH /api/v1/templates/${existing.id}`,
        templateId: existing.id,
      });
    }
    return this.templates.save(
      this.templates.create({
        tenantId: p.tenantId,
        slug: input.slug,
        name: input.name,
        description: input.description ?? '',
        graphVersionId: version.id,
        exposedParams: input.exposedParams,
        priceCredits: input.priceCredits,
        visibility: input.visibility ?? 'private',
        publishedBy: p.userId,
        revision: 1,
        unpublishedAt: null,
        updatedAt: new Date(),
      }),
    );
  }

  /**
   * The templates a caller may use. One that cannot run here (a node's placement refuses it: no
   * generation provider configured) is hidden from sellers and reviewers; staff see it with
   * `needsProvider` saying what to configure.
   */
  async list(p: Principal): Promise<TemplateListing[]> {
    const templates = await this.templates
      .createQueryBuilder('t')
      .where(`(t.tenant_id = :tenant OR t.visibility = 'public') AND t.unpublished_at IS NULL`, { tenant: p.tenantId })
      .orderBy('t.published_at', 'DESC')
      .getMany();
    const ids = [...new Set(templates.map((t) => t.graphVersionId))];
    const versions = ids.length ? await this.versions.find({ where: ids.map((id) => ({ id })) }) : [];
    const docs = new Map(versions.map((v) => [v.id, v.doc]));
    const listed: TemplateListing[] = [];
    for (const t of templates) {
      const doc = docs.get(t.graphVersionId);
      const needsProvider = doc ? this.needsProvider(doc) : undefined;
      const options = doc ? this.optionsOf(t, doc) : [];
      if (!needsProvider) listed.push({ ...listing(t), options });
      else if (p.role === 'staff') listed.push({ ...listing(t), options, needsProvider });
    }
    return listed;
  }

  /**
   * A template's exposed params as form fields: the node type's param schema (only the allowed
   * values when the template lists them) and, as default, the value the template's graph sets.
   */
  optionsOf(t: TemplateEntity, doc: GraphDoc): TemplateOption[] {
    const options: TemplateOption[] = [];
    for (const e of t.exposedParams) {
      const node = doc.nodes.find((n) => n.id === e.nodeId);
      const schema = node && nodeDescriptor(doc, node, this.catalog.descriptors)?.params.properties[e.param];
      if (!node || !schema) continue;
      const narrowed = e.allowed ? narrowTo(schema, e.allowed) : schema;
      const value = node.params?.[e.param] ?? schema.default;
      const fallback = e.allowed && !e.allowed.some((a) => JSON.stringify(a) === JSON.stringify(value)) ? e.allowed[0] : value;
      options.push({ key: `${e.nodeId}.${e.param}`, label: e.label, schema: JSON.parse(JSON.stringify(narrowed)), default: fallback });
    }
    return options;
  }

  /**
   * Why a graph cannot run in this installation, from compiling its plan as a run would (a node's
   * placement names what to configure); undefined when it can.
   */
  needsProvider(doc: GraphDoc): string | undefined {
    try {
      compilePlan(doc, this.catalog.descriptors, { place: this.catalog.place });
      return undefined;
    } catch (err) {
      // Three generators without a provider say so once.
      if (err instanceof GraphInvalidError) return [...new Set(err.problems.map((problem) => problem.message))].join('; ');
      throw err;
    }
  }

  /**
   * Finds a template a caller may use, by id or slug: the caller's own tenant's first, then a public
   * one (the first published under that slug keeps it). Another tenant's private template is unknown,
   * and so is an unpublished one (its shoots are found by run, not through here).
   */
  async findUsable(p: Principal, idOrSlug: string): Promise<TemplateEntity> {
    const ref = isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug };
    const t =
      (await this.templates.findOne({ where: { ...ref, tenantId: p.tenantId, unpublishedAt: IsNull() } })) ??
      (await this.templates.findOne({ where: { ...ref, visibility: 'public', unpublishedAt: IsNull() }, order: { publishedAt: 'ASC' } }));
    if (!t) throw new NotFoundException(`unknown template ${quote(idOrSlug)}`);
    return t;
  }
}

/** A param schema offering only `allowed` (a select keeps the titles of its remaining choices). */
function narrowTo(schema: Record<string, unknown>, allowed: unknown[]): Record<string, unknown> {
  const same = (v: unknown) => allowed.some((a) => JSON.stringify(a) === JSON.stringify(v));
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: (schema.anyOf as Array<{ const?: unknown }>).filter((c) => same(c.const)) };
  const { enum: _values, ...rest } = schema;
  return { ...rest, enum: allowed };
}

/** What anyone who may use a template sees of it (who published it and its lifecycle fields are staff's: GET /templates/managed). */
function listing(t: TemplateEntity): TemplateListing {
  const { publishedBy: _by, updatedAt: _updated, unpublishedAt: _unpublished, revision: _revision, ...shown } = t;
  return { ...shown, publishedAt: t.publishedAt.toISOString() };
}
