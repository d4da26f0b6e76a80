import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn, type ValueTransformer } from 'typeorm';
import type { GraphDoc, NodeRunState, RunKind, RunStatus } from '@studioflow/runtime/graph';
import type { CostPart } from '@studioflow/runtime/contract';

/** numeric columns arrive as strings (exact decimals); dollar amounts are read as numbers. */
const USD: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/** TypeORM mappings of the tables created by migrations/ (synchronize is always off). */
@Entity('tenants')
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column() name!: string;
  @Column({ name: 'credit_balance', type: 'int' }) creditBalance!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

import type { Role } from '../auth/access-policy';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column() email!: string;
  @Column({ type: 'text' }) role!: Role;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'key_hash' }) keyHash!: string;
  @Column() label!: string;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}

@Entity('graphs')
export class GraphEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column() name!: string;
  @Column() description!: string;
  @Column({ type: 'jsonb' }) draft!: GraphDoc;
  /** The upload staff pinned as the graph's test photo (PUT /api/graphs/:id/test-photo). */
  @Column({ name: 'test_photo_upload_id', type: 'uuid', nullable: true }) testPhotoUploadId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('graph_versions')
export class GraphVersionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'graph_id', type: 'uuid' }) graphId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'int' }) version!: number;
  @Column({ type: 'jsonb' }) doc!: GraphDoc;
  @Column() message!: string;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export type { ExposedParam } from '@studioflow/runtime/graph';
import type { ExposedParam, TemplateVisibility } from '@studioflow/runtime/graph';

@Entity('templates')
export class TemplateEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column() slug!: string;
  @Column() name!: string;
  @Column() description!: string;
  @Column({ name: 'graph_version_id', type: 'uuid' }) graphVersionId!: string;
  @Column({ name: 'exposed_params', type: 'jsonb' }) exposedParams!: ExposedParam[];
  @Column({ name: 'price_credits', type: 'int' }) priceCredits!: number;
  @Column({ type: 'text' }) visibility!: TemplateVisibility;
  @CreateDateColumn({ name: 'published_at', type: 'timestamptz' }) publishedAt!: Date;
  @Column({ name: 'published_by', type: 'uuid', nullable: true }) publishedBy!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** Null while published; sellers neither see nor start an unpublished template. */
  @Column({ name: 'unpublished_at', type: 'timestamptz', nullable: true }) unpublishedAt!: Date | null;
  /** Optimistic concurrency: bumped by every change. */
  @Column({ type: 'int' }) revision!: number;
}

@Entity('runs')
export class RunEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId!: string | null;
  @Column() kind!: RunKind;
  /** Null for a draft run, which names its recorded document instead (`draftSnapshotId`). */
  @Column({ name: 'graph_version_id', type: 'uuid', nullable: true }) graphVersionId!: string | null;
  @Column({ name: 'draft_snapshot_id', type: 'uuid', nullable: true }) draftSnapshotId!: string | null;
  @Column({ name: 'template_id', type: 'uuid', nullable: true }) templateId!: string | null;
  @Column({ name: 'parent_run_id', type: 'uuid', nullable: true }) parentRunId!: string | null;
  @Column() status!: RunStatus;
  @Column({ type: 'jsonb', nullable: true }) outputs!: Record<string, Record<string, unknown>> | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'jsonb' }) params!: Record<string, unknown>;
  @Column({ name: 'price_credits', type: 'int' }) priceCredits!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  /** Every node execution of the run, re-runs included (US dollars). */
  @Column({ name: 'cost_usd', type: 'numeric', transformer: USD }) costUsd!: number;
}

@Entity('node_runs')
export class NodeRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' }) runId!: string;
  @PrimaryColumn({ name: 'node_id' }) nodeId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'node_type' }) nodeType!: string;
  @Column() state!: NodeRunState;
  @Column({ type: 'int' }) generation!: number;
  @Column({ type: 'int' }) attempts!: number;
  @Column({ type: 'jsonb', nullable: true }) outputs!: Record<string, unknown> | null;
  /** Params a retry (a gate's, a reviewer's) set over the plan's for this node. */
  @Column({ name: 'params_override', type: 'jsonb', nullable: true }) paramsOverride!: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ name: 'queued_at', type: 'timestamptz', nullable: true }) queuedAt!: Date | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'duration_ms', type: 'int', nullable: true }) durationMs!: number | null;
  /** Set when a replay reused this node's outputs from an earlier run. */
  @Column({ name: 'source_run_id', type: 'uuid', nullable: true }) sourceRunId!: string | null;
  /** The latest execution's cost; null while it has not finished. */
  @Column({ name: 'cost_usd', type: 'numeric', nullable: true, transformer: USD }) costUsd!: number | null;
  @Column({ name: 'cost_parts', type: 'jsonb', nullable: true }) costParts!: CostPart[] | null;
}

@Entity('artifacts')
export class ArtifactEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryColumn({ type: 'char', length: 64 }) hash!: string;
  @Column() mime!: string;
  @Column({ type: 'bigint' }) bytes!: string;
  @Column({ type: 'int', nullable: true }) width!: number | null;
  @Column({ type: 'int', nullable: true }) height!: number | null;
  @Column({ name: 'run_id', type: 'uuid', nullable: true }) runId!: string | null;
  @Column({ name: 'node_id', type: 'text', nullable: true }) nodeId!: string | null;
}

@Entity('credit_ledger')
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'run_id', type: 'uuid', nullable: true }) runId!: string | null;
  @Column() kind!: 'grant' | 'charge' | 'refund';
  @Column({ type: 'int' }) amount!: number;
  @Column() reason!: string;
  @Column({ name: 'idempotency_key' }) idempotencyKey!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const ENTITIES = [
  TenantEntity,
  UserEntity,
  ApiKeyEntity,
  GraphEntity,
  GraphVersionEntity,
  TemplateEntity,
  RunEntity,
  NodeRunEntity,
  ArtifactEntity,
  LedgerEntryEntity,
];
