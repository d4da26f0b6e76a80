import { Module } from '@nestjs/common';
import { AccountsService } from './accounts.service';
import { AuthController, InvitesController, MeController } from './accounts.controller';

@Module({ controllers: [AuthController, MeController, InvitesController], providers: [AccountsService] })
export class AccountsModule {}
