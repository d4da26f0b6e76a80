import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodBody } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { TemplateLifecycleService } from './template-lifecycle.service';
import { TemplatePreviewsService } from './template-previews.service';
import { TemplatesService } from './templates.service';

const ExposedParams = z.array(
  z.object({ nodeId: z.string(), param: z.string(), label: z.string().max(200), allowed: z.array(z.unknown()).optional() }),
);
const Visibility = z.enum(['private', 'public']);
const Note = z.string().max(2000).optional();
/** The revision the caller saw (GET /templates/managed): a stale one answers 409 with the current state. */
const Revision = z.number().int().min(1);

const PublishBody = z.object({
  graphVersionId: z.string(),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes'),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  exposedParams: ExposedParams.default([]),
  priceCredits: z.number().int().min(0).max(10_000).default(1),
  visibility: Visibility.default('private'),
}).meta({
  examples: [
    {
      graphVersionId: '9b0e7c55-2a51-4d1c-8f3e-61a2a7d4c0de',
      slug: 'white-studio',
      name: 'White studio',
      exposedParams: [{ nodeId: 'composite', param: 'fill', label: 'Product size', allowed: [0.7, 0.8, 0.9] }],
      priceCredits: 1,
      visibility: 'public',
    },
  ],
});
type PublishBody = z.infer<typeof PublishBody>;

const UpdateBody = z
  .object({
    revision: Revision,
    graphVersionId: z.string().optional(),
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    priceCredits: z.number().int().min(0).max(10_000).optional(),
    visibility: Visibility.optional(),
    exposedParams: ExposedParams.optional(),
    note: Note,
  })
  .strict()
  .meta({ examples: [{ revision: 3, graphVersionId: '9b0e7c55-2a51-4d1c-8f3e-61a2a7d4c0de', note: 'softer shadow' }] });
type UpdateBody = z.infer<typeof UpdateBody>;

const LifecycleBody = z.object({ revision: Revision, note: Note }).strict().meta({ examples: [{ revision: 4, note: 'seasonal, back in spring' }] });
type LifecycleBody = z.infer<typeof LifecycleBody>;

@ApiTags('templates')
@Controller('templates')
export class TemplatesController {
  constructor(
    private readonly templates: TemplatesService,
    private readonly previews: TemplatePreviewsService,
    private readonly lifecycle: TemplateLifecycleService,
  ) {}

  @Post()
  @Roles('staff')
  @ApiOperation({ summary: 'Publish a graph version as a template' })
  @ApiZodBody(PublishBody)
  async publish(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(PublishBody)) body: PublishBody) {
    const t = await this.templates.publish(p, body);
    await this.lifecycle.recordPublished(p, t.id);
    return { id: t.id, slug: t.slug };
  }

  @Get('managed')
  @Roles('staff')
  @ApiOperation({ summary: "Staff: the tenant's own templates, unpublished ones too, with the version each runs, the graph's latest, and the revision to change them with" })
  @ApiQuery({ name: 'graphId', required: false, description: 'only the templates of this graph' })
  managed(@CurrentPrincipal() p: Principal, @Query('graphId') graphId?: string) {
    return this.lifecycle.managed(p, graphId);
  }

  @Patch(':id')
  @Roles('staff')
  @ApiOperation({
    summary: 'Repoint a template to another version of its graph and/or change its price, name, description, exposed params or visibility',
    description: 'What the body leaves out stays. 409 with `current` when `revision` is stale; 422 naming the exposed params the new version lacks, or its problems.',
  })
  @ApiZodBody(UpdateBody)
  update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(UpdateBody)) body: UpdateBody) {
    return this.lifecycle.update(p, id, body);
  }

  @Post(':id/unpublish')
  @Roles('staff')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unpublish a template: sellers no longer see or start it; its shoots keep working and stay downloadable' })
  @ApiZodBody(LifecycleBody)
  unpublish(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(LifecycleBody)) body: LifecycleBody) {
    return this.lifecycle.unpublish(p, id, body);
  }

  @Post(':id/republish')
  @Roles('staff')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish an unpublished template again, at the version it had' })
  @ApiZodBody(LifecycleBody)
  republish(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(LifecycleBody)) body: LifecycleBody) {
    return this.lifecycle.republish(p, id, body);
  }

  @Get(':id/changelog')
  @Roles('staff')
  @ApiOperation({ summary: "A template's changelog, newest first: who changed what and when (version from → to, price, visibility, note)" })
  changelog(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.lifecycle.changelog(p, id);
  }

  @Get()
  @ApiOperation({ summary: 'The templates the caller may use, each with its preview image (previewUrl) once made' })
  async list(@CurrentPrincipal() p: Principal) {
    return this.previews.withPreviews(await this.templates.list(p));
  }

  @Get(':idOrSlug')
  get(@CurrentPrincipal() p: Principal, @Param('idOrSlug') idOrSlug: string) {
    return this.templates.findUsable(p, idOrSlug);
  }
}
