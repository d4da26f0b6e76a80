import { ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import type { PublishTemplateBody } from '@studioflow/runtime/graph';
import type { Principal } from '../auth/principal';
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
    if (await this.templates.findOne({ where: { slug: input.slug } })) {
      throw new ConflictException(`a template with slug "${input.slug}" exists`);
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
        isPublic: true,
      }),
    );
  }

  list(p: Principal): Promise<TemplateEntity[]> {
    return this.templates
      .createQueryBuilder('t')
      .where('t.is_public OR t.tenant_id = :tenant', { tenant: p.tenantId })
      .orderBy('t.published_at', 'DESC')
      .getMany();
  }

  /** Finds a template a caller may use, by id or slug. */
  async findUsable(p: Principal, idOrSlug: string): Promise<TemplateEntity> {
    const t = await this.templates.findOne({ where: isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug } });
    if (!t || (!t.isPublic && t.tenantId !== p.tenantId)) throw new NotFoundException(`unknown template ${quote(idOrSlug)}`);
    return t;
  }
}
