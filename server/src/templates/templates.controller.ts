import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodBody } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { TemplatePreviewsService } from './template-previews.service';
import { TemplatesService } from './templates.service';

const PublishBody = z.object({
  graphVersionId: z.string(),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes'),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  exposedParams: z
    .array(z.object({ nodeId: z.string(), param: z.string(), label: z.string().max(200), allowed: z.array(z.unknown()).optional() }))
    .default([]),
  priceCredits: z.number().int().min(0).max(10_000).default(1),
  visibility: z.enum(['private', 'public']).default('private'),
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

@ApiTags('templates')
@Controller('templates')
export class TemplatesController {
  constructor(
    private readonly templates: TemplatesService,
    private readonly previews: TemplatePreviewsService,
  ) {}

  @Post()
  @Roles('staff')
  @ApiOperation({ summary: 'Publish a graph version as a template' })
  @ApiZodBody(PublishBody)
  async publish(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(PublishBody)) body: PublishBody) {
    const t = await this.templates.publish(p, body);
    return { id: t.id, slug: t.slug };
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
