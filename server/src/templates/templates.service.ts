import { ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import type { PublishTemplateBody } from '@studioflow/runtime/graph';
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
      const descriptor = this.catalog.descriptors.find((d) => d.type === node.type);
      if (!descriptor?.params.properties[e.param]) {
        throw new UnprocessableEntityException(`exposed param ${e.nodeId}.${e.param}: ${node.type} has no param "${e.param}"`);
      }
    }
    // Slugs are unique per owner: the check never looks at (or reveals) other tenants' names.
    if (await this.templates.findOne({ where: { tenantId: p.tenantId, slug: input.slug } })) {
      throw new ConflictException(`your tenant already has a template with slug "${input.slug}"`);
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
      }),
    );
  }

  list(p: Principal): Promise<TemplateEntity[]> {
    return this.templates
      .createQueryBuilder('t')
      .where(`t.tenant_id = :tenant OR t.visibility = 'public'`, { tenant: p.tenantId })
      .orderBy('t.published_at', 'DESC')
      .getMany();
  }

  /**
   * Finds a template a caller may use, by id or slug: the caller's own tenant's first, then a public
   * one (the first published under that slug keeps it). Another tenant's private template is unknown.
   */
  async findUsable(p: Principal, idOrSlug: string): Promise<TemplateEntity> {
    const ref = isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug };
    const t =
      (await this.templates.findOne({ where: { ...ref, tenantId: p.tenantId } })) ??
      (await this.templates.findOne({ where: { ...ref, visibility: 'public' }, order: { publishedAt: 'ASC' } }));
    if (!t) throw new NotFoundException(`unknown template ${quote(idOrSlug)}`);
    return t;
  }
}
