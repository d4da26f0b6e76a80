import { Module, type DynamicModule } from '@nestjs/common';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { RetentionModule } from './retention/retention.module';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { AuthModule } from './auth/auth.module';
import { BatchesModule } from './batches/batches.module';
import { CatalogController } from './catalog/catalog.controller';
import { CostsModule } from './costs/costs.module';
import type { AppConfig } from './config/config';
import { InfraModule } from './db/infra.module';
import { GraphsModule } from './graphs/graphs.module';
import { SubflowsModule } from './subflows/subflows.module';
import { HealthModule } from './health/health.module';
import { OutgoingWebhooksModule } from './outgoing-webhooks/outgoing-webhooks.module';
import { ProvidersModule } from './providers/providers.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RealtimeModule } from './realtime/realtime.module';
import { SeedService } from './seed/seed.service';
import { ShootsModule } from './shoots/shoots.module';
import { TemplatesModule } from './templates/templates.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forRoot(config), AuthModule, AccountsModule, GraphsModule, SubflowsModule, TemplatesModule, ShootsModule, ArtifactsModule, RealtimeModule, AdminModule, CostsModule, WebhooksModule, ProvidersModule, OutgoingWebhooksModule, RateLimitModule, BatchesModule, RetentionModule, HealthModule],
      controllers: [CatalogController],
      providers: [SeedService],
    };
  }
}
