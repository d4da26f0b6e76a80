import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { GraphsModule } from '../graphs/graphs.module';
import { TemplatesModule } from '../templates/templates.module';
import { ShootsController } from './shoots.controller';
import { ShootsService } from './shoots.service';

@Module({
  imports: [
    ArtifactsModule,
    GraphsModule,
    TemplatesModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => ({ limits: { fileSize: c.maxUploadBytes, files: 1 } }),
    }),
  ],
  controllers: [ShootsController],
  providers: [ShootsService],
  exports: [ShootsService],
})
export class ShootsModule {}
