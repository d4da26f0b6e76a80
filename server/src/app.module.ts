import { Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { AuthModule } from './auth/auth.module';
import { CatalogController } from './catalog/catalog.controller';
import { InfraModule } from './db/infra.module';
import { GraphsModule } from './graphs/graphs.module';
import { RealtimeModule } from './realtime/realtime.module';
import { SeedService } from './seed/seed.service';
import { ShootsModule } from './shoots/shoots.module';
import { TemplatesModule } from './templates/templates.module';

@Module({
  imports: [InfraModule, AuthModule, GraphsModule, TemplatesModule, ShootsModule, ArtifactsModule, RealtimeModule, AdminModule],
  controllers: [CatalogController],
  providers: [SeedService],
})
export class AppModule {}
