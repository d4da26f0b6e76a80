import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags, type SchemaObject } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { InvitableRole, Me } from '@studioflow/runtime/graph';
import { ZodPipe } from '../common/zod-pipe';
import type { Principal } from '../auth/access-policy';
import { clearSessionCookies, sessionToken, setSessionCookies } from '../auth/cookies';
import { CurrentPrincipal, Public, Roles } from '../auth/decorators';
import { MIN_PASSWORD_LENGTH } from '../auth/passwords';
import { SessionService } from '../auth/sessions';
import { AccountsService, INVITE_APPS, type SignedIn } from './accounts.service';

const email = z.string().trim().toLowerCase().email().max(320);
const newPassword = z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(1000);
const displayName = z.string().trim().min(1).max(200);

const LoginBody = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1000) });
type LoginBody = z.infer<typeof LoginBody>;
const SignupBody = z.object({ email, password: newPassword, name: displayName, shopName: z.string().trim().min(1).max(200) });
type SignupBody = z.infer<typeof SignupBody>;
const InviteBody = z.object({ email, role: z.enum(Object.keys(INVITE_APPS) as [InvitableRole, ...InvitableRole[]]) });
type InviteBody = z.infer<typeof InviteBody>;
const AcceptBody = z.object({ password: newPassword, name: displayName });
type AcceptBody = z.infer<typeof AcceptBody>;
const Token = z.string().min(10).max(200);

/** The OpenAPI request body of a zod schema, with an example. */
function body(schema: z.ZodType, example: Record<string, unknown>) {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return ApiBody({ schema: { ...json, example } as SchemaObject });
}

/** The address limits count by: the socket's peer (no proxy is trusted, so a forged X-Forwarded-For changes nothing). */
function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Sets the session cookies of a fresh sign-in and answers who is signed in. */
function signedIn(req: Request, res: Response, result: SignedIn): Me {
  setSessionCookies(req, res, result.session);
  return result.me;
}

/** Web sign-in for the shoot app and the review console: browser sessions in cookies. */
@ApiTags('accounts')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly sessions: SessionService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password: sets the session and CSRF cookies, answers Me' })
  @body(LoginBody, { email: 'seller@studioflow.test', password: 'studioflow-demo' })
  async login(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body(new ZodPipe(LoginBody)) body: LoginBody): Promise<Me> {
    return signedIn(req, res, await this.accounts.login(body.email, body.password, clientIp(req), req.headers['user-agent']));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: ends the session (and its live sockets) and clears the cookies' })
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = sessionToken(req);
    if (token) await this.sessions.end(token);
    clearSessionCookies(req, res);
  }

  @Public()
  @Post('signup')
  @ApiOperation({ summary: 'Create a shop (a tenant with starter credits) and its owner, a seller; signs in' })
  @body(SignupBody, { email: 'mia@example.com', password: 'a-long-password', name: 'Mia Maker', shopName: 'Mia Makes' })
  async signup(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body(new ZodPipe(SignupBody)) body: SignupBody): Promise<Me> {
    return signedIn(req, res, await this.accounts.signup(body, clientIp(req), req.headers['user-agent']));
  }
}

@ApiTags('accounts')
@Controller('me')
export class MeController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @Roles('staff', 'reviewer', 'end_user', 'operator')
  @ApiOperation({ summary: 'Who is calling: the user, their tenant and its credit balance, and whether by session or API key' })
  me(@CurrentPrincipal() p: Principal): Promise<Me> {
    return this.accounts.me(p);
  }
}

/** Staff invite reviewers and sellers into their tenant; the invitee sets a password and is signed in. */
@ApiTags('accounts')
@Controller('invites')
export class InvitesController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @Roles('staff')
  @ApiOperation({ summary: 'Invite someone into the caller’s tenant; the answer holds the link (shown once), valid 7 days' })
  @body(InviteBody, { email: 'rae@example.com', role: 'reviewer' })
  invite(@Req() req: Request, @CurrentPrincipal() p: Principal, @Body(new ZodPipe(InviteBody)) body: InviteBody) {
    return this.accounts.invite(p, body.email, body.role, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  }

  @Public()
  @Get(':token')
  @ApiOperation({ summary: 'What an invitation is for (email, role, tenant name); 404 unknown, 410 used or expired' })
  describe(@Param('token', new ZodPipe(Token, 'token')) token: string) {
    return this.accounts.describeInvite(token);
  }

  @Public()
  @Post(':token/accept')
  @ApiOperation({ summary: 'Accept an invitation: creates the account with this password and signs in' })
  @body(AcceptBody, { name: 'Rae Reviewer', password: 'a-long-password' })
  async accept(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('token', new ZodPipe(Token, 'token')) token: string,
    @Body(new ZodPipe(AcceptBody)) body: AcceptBody,
  ): Promise<Me> {
    return signedIn(req, res, await this.accounts.acceptInvite(token, body, clientIp(req), req.headers['user-agent']));
  }
}
