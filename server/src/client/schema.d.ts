// Generated from the OpenAPI document by `npm run gen:client -w server`. Do not edit: change the controllers and regenerate.
export interface paths {
    "/api/v1/admin/artifact-gc": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Dry run: the retention policy and what the collector would delete now; changes nothing */
        get: operations["ArtifactGc_dryRun"];
        put?: never;
        /** Run one collector pass now (409 while another process runs one) */
        post: operations["ArtifactGc_collect"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/artifact-gc/tenants/{tenantId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a tenant's own upload and delivery retention (null: the platform default) */
        put: operations["ArtifactGc_setTenantRetention"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/artifacts/{hash}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An artifact: by the signed URL the API gave (no key), or with an API key in a header */
        get: operations["Artifacts_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in with email and password: sets the session and CSRF cookies, answers Me */
        post: operations["Auth_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out: ends the session (and its live sockets) and clears the cookies */
        post: operations["Auth_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a shop (a tenant with starter credits) and its owner, a seller; signs in */
        post: operations["Auth_signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your batches, newest first, with progress counts */
        get: operations["Batches_list"];
        put?: never;
        /** Submit a catalog: everything is checked first (4xx listing every problem, nothing charged); items become shoots as room frees up, each charged when admitted */
        post: operations["Batches_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Progress counts and every item: status, shoot id, error, result links */
        get: operations["Batches_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel waiting and running items; each admitted one is refunded once. Repeating it changes nothing */
        post: operations["Batches_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches/{id}/items/{itemId}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry one failed item as a new shoot (charged again when admitted; the failed one was refunded); 409 unless it failed */
        post: operations["Batches_retry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches/{id}/results.zip": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every delivered image of the completed items, named after the items, as one zip (streamed) */
        get: operations["Batches_results"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/costs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sums of the tenant's run costs (US dollars) per template or per UTC day, for runs created in [from, to) */
        get: operations["Costs_sums"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["DeadLetters_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/dead-letters/{id}/discard": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["DeadLetters_discard"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/dead-letters/{id}/redrive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume the run from its failed node (a new billing round) */
        post: operations["DeadLetters_redrive"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["Graphs_list"];
        put?: never;
        /** Create a graph with an optional draft */
        post: operations["Graphs_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["Graphs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}/draft": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Save the draft (may be invalid); returns its problems */
        put: operations["Graphs_saveDraft"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}/draft-runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run the canvas as it is (no commit, no credits): a draft run, recorded with its document and content hash
         * @description JSON {graph, untilNodeId?} runs on the photo pinned to the graph; multipart sends the photo in `image` and the graph as a JSON string. The document is validated as a commit would be (422 with the problems). The run appears in the graph's runs as `draft: true`, never as a version.
         */
        post: operations["DraftRuns_start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Run history of this graph (all versions) */
        get: operations["Graphs_runs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}/test-photo": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Pin a test photo to the graph (multipart `image`): draft runs without a photo use it; kept while pinned */
        put: operations["DraftRuns_pin"];
        post?: never;
        /** Unpin the graph's test photo */
        delete: operations["DraftRuns_unpin"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Commit the draft as an immutable version (422 with problems if invalid) */
        post: operations["Graphs_commit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/{id}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["Graphs_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/graphs/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run the shared validator on a graph document */
        post: operations["Graphs_validate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["Catalog_health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Invite someone into the caller’s tenant; the answer holds the link (shown once), valid 7 days */
        post: operations["Invites_invite"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invites/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What an invitation is for (email, role, tenant name); 404 unknown, 410 used or expired */
        get: operations["Invites_describe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invites/{token}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept an invitation: creates the account with this password and signs in */
        post: operations["Invites_accept"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Keys the caller may manage (tenant staff: every key of the tenant) */
        get: operations["Keys_list"];
        put?: never;
        /** Create a key for the caller; the key is in this answer only */
        post: operations["Keys_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a key: every API process refuses it from now on */
        delete: operations["Keys_revoke"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is calling: the user, their tenant and its credit balance, and whether by session or API key */
        get: operations["Me_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/node-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every node type: ports, param JSON Schema, resource, cacheability */
        get: operations["Catalog_nodeTypes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/port-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Port types with their editor colours */
        get: operations["Catalog_portTypes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Scene providers: configured (with how to configure), circuit breaker state (closed/open/half-open, since, failures) per worker, and each local Cog server's health and in-flight predictions */
        get: operations["Providers_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reviews": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Runs awaiting a review decision, the longest waiting first, with images, scores, instructions, SLA and adjustable params */
        get: operations["Review_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reviews/{runId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run's open reviews and the audit trail of its decisions */
        get: operations["Review_detail"];
        put?: never;
        /** Approve (the run goes on to delivery), reject with a reason (fails, refunds) or retry an upstream node with checked params; 409 when already decided */
        post: operations["Review_decide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reviews/{runId}/{nodeId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The same decision with the node in the path (earlier form; `note` is the reason) */
        post: operations["Review_decideNode"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reviews/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every review decision of the tenant, newest first (staff) */
        get: operations["Review_audit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Staff test run of a graph version (no credits), on the photo sent or else the graph's pinned test photo; answers 202 {id, runId} at once */
        post: operations["Runs_testRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Status, per-node states and outputs of a run, with the seq of the newest run event it reflects */
        get: operations["Runs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The lines a run's node runs logged (oldest first; bounded per node run), optionally of one node */
        get: operations["Runs_logs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay from a node: re-run it and everything downstream, reusing upstream artifacts */
        post: operations["Runs_replay"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shoots": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your shoots, newest first, a page at a time (cursor pagination) */
        get: operations["Shoots_page"];
        put?: never;
        /**
         * Submit a product photo to a template; answers 202 {id, runId} at once
         * @description Send the photo as multipart/form-data (`image`), or JSON naming an earlier upload (POST /api/v1/uploads). With an Idempotency-Key, the same request again answers 200 with the first shoot and charges nothing; the same key with another request answers 409.
         */
        post: operations["Shoots_submit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shoots/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Status, per-node states and result URLs */
        get: operations["Shoots_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shoots/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a queued or running shoot; 409 with its status when it has already finished */
        post: operations["Shoots_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/subflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's subflows, each with its latest version as a node type (`descriptor`: ports, exposed params) */
        get: operations["Subflows_list"];
        put?: never;
        /** Create a subflow (version 1) from a graph, its ports and exposed params (422 with problems if they do not fit) */
        post: operations["Subflows_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/subflows/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A subflow: its versions and its latest definition */
        get: operations["Subflows_get"];
        put?: never;
        post?: never;
        /** Delete a subflow; committed graph versions keep the definitions they were committed with */
        delete: operations["Subflows_remove"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/subflows/{id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Save an edited subflow as its next version; instances following latest pick it up on their next commit */
        post: operations["Subflows_addVersion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/subflows/{id}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version of a subflow */
        get: operations["Subflows_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The templates the caller may use, each with its preview image (previewUrl) once made */
        get: operations["Templates_list"];
        put?: never;
        /** Publish a graph version as a template */
        post: operations["Templates_publish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Repoint a template to another version of its graph and/or change its price, name, description, exposed params or visibility
         * @description What the body leaves out stays. 409 with `current` when `revision` is stale; 422 naming the exposed params the new version lacks, or its problems.
         */
        patch: operations["Templates_update"];
        trace?: never;
    };
    "/api/v1/templates/{id}/changelog": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A template's changelog, newest first: who changed what and when (version from → to, price, visibility, note) */
        get: operations["Templates_changelog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/{id}/republish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish an unpublished template again, at the version it had */
        post: operations["Templates_republish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/{id}/unpublish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Unpublish a template: sellers no longer see or start it; its shoots keep working and stay downloadable */
        post: operations["Templates_unpublish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/{idOrSlug}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["Templates_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/managed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Staff: the tenant's own templates, unpublished ones too, with the version each runs, the graph's latest, and the revision to change them with */
        get: operations["Templates_managed"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a product photo; answers its id for POST /api/v1/shoots {templateId, uploadId} */
        post: operations["Uploads_upload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Endpoints the caller may manage (staff: every endpoint of the tenant) */
        get: operations["WebhookEndpoints_list"];
        put?: never;
        /**
         * Register an endpoint for shoot.completed / shoot.failed; the signing secret (whsec_…) is in this answer only
         * @description Deliveries are signed in the Standard Webhooks format: webhook-id, webhook-timestamp, webhook-signature = v1,<base64 HMAC-SHA256 of "id.timestamp.body">.
         */
        post: operations["WebhookEndpoints_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove an endpoint: nothing more is sent to it */
        delete: operations["WebhookEndpoints_remove"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Delivery log, newest first: each event with its attempts (status codes, durations) and next retry */
        get: operations["WebhookEndpoints_deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a delivery again now, with the same webhook-id */
        post: operations["WebhookEndpoints_resend"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/replicate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replicate's completed-prediction webhook (Standard Webhooks signature); wakes the seedream job waiting on it */
        post: operations["ReplicateWebhook_receive"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    ArtifactGc_dryRun: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    ArtifactGc_collect: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    ArtifactGc_setTenantRetention: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenantId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description days uploaded photos are kept; null: the platform default */
                    uploadRetentionDays: number | null;
                    /** @description days a run's results are kept after it ends; null: the platform default */
                    deliveryRetentionDays: number | null;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Artifacts_get: {
        parameters: {
            query?: {
                /** @description an image's thumbnail at most this many pixels wide and high (16-1024), as WebP */
                w?: number;
                /** @description a plain file name: the artifact comes as an attachment under it */
                download?: string;
            };
            header?: never;
            path: {
                hash: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Auth_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    password: string;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Auth_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Auth_signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** Format: email */
                    email: string;
                    password: string;
                    name: string;
                    shopName: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Batches_list: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Batches_create: {
        parameters: {
            query?: never;
            header: {
                "idempotency-key": string;
                /** @description same key and same upload: the same batch (200), charged once; same key, other upload: 409 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description a zip of product images (JPEG, PNG, WebP, …)
                     */
                    archive: string;
                    /**
                     * Format: binary
                     * @description optional CSV with a header: file (the image's path in the zip), title, and any exposed param as a <node>.<param> column
                     */
                    catalog?: string;
                    /** @description template id or slug, e.g. white-studio */
                    templateId: string;
                    /** @description JSON object of exposed params for every item, e.g. {"composite.fill":0.8} */
                    params?: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Batches_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Batches_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Batches_retry: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                itemId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Batches_results: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Costs_sums: {
        parameters: {
            query: {
                /** @description default: now */
                to?: string;
                /** @description default: 30 days before `to` */
                from?: string;
                groupBy: "template" | "day";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        groupBy: "template" | "day";
                        /** Format: date-time */
                        from: string;
                        /** Format: date-time */
                        to: string;
                        totalUsd: number;
                        groups: {
                            /**
                             * Format: uuid
                             * @description groupBy=template; null for editor test runs
                             */
                            templateId?: string | null;
                            templateSlug?: string | null;
                            /**
                             * Format: date
                             * @description groupBy=day (UTC)
                             */
                            day?: string;
                            runs: number;
                            costUsd: number;
                        }[];
                    };
                };
            };
        };
    };
    DeadLetters_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DeadLetters_discard: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DeadLetters_redrive: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    description?: string;
                    draft?: {
                        nodes: unknown[];
                        edges: unknown[];
                        annotations?: unknown[];
                    };
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_saveDraft: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    draft: {
                        nodes: unknown[];
                        edges: unknown[];
                        annotations?: unknown[];
                    };
                    name?: string;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DraftRuns_start: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description the graph document to run (checked like a commit) */
                    graph: {
                        nodes: unknown[];
                        edges: unknown[];
                        annotations?: unknown[];
                    };
                    /** @description "run to here": run only this node and its ancestors */
                    untilNodeId?: string;
                };
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description the product photo (JPEG, PNG, WebP, …)
                     */
                    image: string;
                    /** @description the graph document as a JSON string */
                    graph: string;
                    /** @description "run to here": run only this node and its ancestors */
                    untilNodeId?: string;
                };
            };
        };
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        /** Format: uuid */
                        runId: string;
                        /** @description sha256 of the document as canonical JSON (keys sorted) */
                        draftHash: string;
                    };
                };
            };
        };
    };
    Graphs_runs: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DraftRuns_pin: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description the product photo (JPEG, PNG, WebP, …)
                     */
                    image: string;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        uploadId: string;
                        /** @description signed, short-lived link to the photo */
                        url: string;
                        mime: string;
                        bytes: number;
                        width: number;
                        height: number;
                    };
                };
            };
        };
    };
    DraftRuns_unpin: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_commit: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @default  */
                    message?: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_version: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Graphs_validate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    graph: unknown;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Catalog_health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Invites_invite: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** Format: email */
                    email: string;
                    /** @enum {string} */
                    role: "reviewer" | "end_user";
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Invites_describe: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Invites_accept: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                token: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password: string;
                    name: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Keys_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Keys_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Keys_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Me_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Catalog_nodeTypes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Catalog_portTypes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Providers_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Review_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Review_detail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                runId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Review_decide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                runId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    decision: "approve" | "reject" | "retry";
                    nodeId?: string;
                    reason?: string;
                    rerunFrom?: string;
                    params?: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Review_decideNode: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                runId: string;
                nodeId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    decision: "approve" | "reject" | "retry";
                    rerunFrom?: string;
                    params?: {
                        [key: string]: unknown;
                    };
                    note?: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Review_audit: {
        parameters: {
            query: {
                limit: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Runs_testRun: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description the product photo (JPEG, PNG, WebP, …)
                     */
                    image: string;
                    /**
                     * Format: uuid
                     * @description the graph version to run
                     */
                    graphVersionId: string;
                    /** @description "run to here": run only this node and its ancestors */
                    untilNodeId?: string;
                };
            };
        };
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: uuid
                         * @description as GET /api/v1/shoots/:id names it
                         */
                        id: string;
                        /**
                         * Format: uuid
                         * @description the same id, as run events and webhooks name it
                         */
                        runId: string;
                    };
                };
            };
        };
    };
    Runs_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        /** @enum {string} */
                        kind: "shoot" | "test" | "bench";
                        /** @enum {string} */
                        status: "queued" | "running" | "completed" | "failed" | "cancelled" | "awaiting_review";
                        /** Format: uuid */
                        templateId: string | null;
                        /**
                         * Format: uuid
                         * @description null for a draft run (see graph)
                         */
                        graphVersionId: string | null;
                        /** @description staff: what the run executed, a committed version or a draft (with its content hash) */
                        graph?: {
                            /** Format: uuid */
                            graphId: string;
                            version: number | null;
                            draft: boolean;
                            draftHash: string | null;
                            untilNodeId: string | null;
                        };
                        /** @description staff: per node, the params the run ran with (defaults applied, retry overrides merged) */
                        nodeParams?: {
                            [key: string]: {
                                [key: string]: unknown;
                            };
                        };
                        params: {
                            [key: string]: unknown;
                        };
                        /** Format: uuid */
                        parentRunId: string | null;
                        priceCredits: number;
                        costUsd: number;
                        error: string | null;
                        createdAt: string;
                        startedAt: string | null;
                        finishedAt: string | null;
                        /** @description the delivered artifacts, each with a signed url */
                        results: {
                            [key: string]: unknown;
                        };
                        nodes: {
                            nodeId: string;
                            type: string;
                            /** @enum {string} */
                            state: "pending" | "queued" | "running" | "done" | "cached" | "failed" | "skipped" | "cancelled" | "awaiting_review";
                            attempts: number;
                            durationMs: number | null;
                            error: string | null;
                            /** @description by output port; artifact refs carry a signed url */
                            outputs: {
                                [key: string]: unknown;
                            };
                            /**
                             * Format: uuid
                             * @description set when a replay reused this node's outputs from that run
                             */
                            sourceRunId: string | null;
                            /** @description the latest execution's cost in USD (0 when cached); null until it finishes */
                            costUsd: number | null;
                            costParts: {
                                /** @enum {string} */
                                kind: "cloud" | "gpu" | "storage";
                                usd: number;
                                model?: string;
                                detail?: string;
                            }[] | null;
                            /** @description ISO 8601 */
                            startedAt: string | null;
                            /** @description ISO 8601 */
                            finishedAt: string | null;
                        }[];
                        /** @description the seq of the newest run event this snapshot reflects (events carry seq; drop older ones) */
                        seq: number;
                    };
                };
            };
        };
    };
    Runs_logs: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        nodeId: string;
                        attempt: number;
                        /** @enum {string} */
                        level: "info" | "warn" | "error";
                        message: string;
                        /** @description ISO 8601 */
                        at: string;
                    }[];
                };
            };
        };
    };
    Runs_replay: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description the node to re-run; everything downstream re-runs too */
                    fromNodeId: string;
                    /** @description new params for that node, checked against its schema */
                    params?: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: uuid
                         * @description as GET /api/v1/shoots/:id names it
                         */
                        id: string;
                        /**
                         * Format: uuid
                         * @description the same id, as run events and webhooks name it
                         */
                        runId: string;
                        /** Format: uuid */
                        parentRunId: string;
                        fromNodeId: string;
                    };
                };
            };
        };
    };
    Shoots_page: {
        parameters: {
            query?: {
                /** @description nextCursor of the previous page */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            /** Format: uuid */
                            id: string;
                            /** @enum {string} */
                            kind: "shoot" | "test" | "bench";
                            /** @enum {string} */
                            status: "queued" | "running" | "completed" | "failed" | "cancelled" | "awaiting_review";
                            /** @description ISO 8601 */
                            createdAt: string;
                            finishedAt: string | null;
                            /** @description the delivered artifacts, each with a signed url */
                            results: {
                                [key: string]: unknown;
                            };
                        }[];
                        /** @description pass as ?cursor= for the next page; null on the last page */
                        nextCursor: string | null;
                    };
                };
            };
        };
    };
    Shoots_submit: {
        parameters: {
            query?: never;
            header?: {
                /** @description names this submission: resending it (after a 503 or a lost answer) returns the same shoot and charges once */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description template id or slug */
                    templateId: string;
                    /**
                     * Format: uuid
                     * @description the id POST /api/v1/uploads answered
                     */
                    uploadId: string;
                    /** @description exposed params of the template, by "nodeId.param" */
                    params?: {
                        [key: string]: unknown;
                    };
                };
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description the product photo (JPEG, PNG, WebP, …)
                     */
                    image: string;
                    /** @description template id or slug */
                    templateId: string;
                    /** @description JSON object of exposed params, e.g. {"composite.fill":0.8} */
                    params?: string;
                };
            };
        };
        responses: {
            /** @description an earlier request with this Idempotency-Key started this shoot; nothing was charged again */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: uuid
                         * @description as GET /api/v1/shoots/:id names it
                         */
                        id: string;
                        /**
                         * Format: uuid
                         * @description the same id, as run events and webhooks name it
                         */
                        runId: string;
                    };
                };
            };
            /** @description the shoot is queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: uuid
                         * @description as GET /api/v1/shoots/:id names it
                         */
                        id: string;
                        /**
                         * Format: uuid
                         * @description the same id, as run events and webhooks name it
                         */
                        runId: string;
                    };
                };
            };
        };
    };
    Shoots_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        /** @enum {string} */
                        kind: "shoot" | "test" | "bench";
                        /** @enum {string} */
                        status: "queued" | "running" | "completed" | "failed" | "cancelled" | "awaiting_review";
                        /** Format: uuid */
                        templateId: string | null;
                        /**
                         * Format: uuid
                         * @description null for a draft run (see graph)
                         */
                        graphVersionId: string | null;
                        /** @description staff: what the run executed, a committed version or a draft (with its content hash) */
                        graph?: {
                            /** Format: uuid */
                            graphId: string;
                            version: number | null;
                            draft: boolean;
                            draftHash: string | null;
                            untilNodeId: string | null;
                        };
                        /** @description staff: per node, the params the run ran with (defaults applied, retry overrides merged) */
                        nodeParams?: {
                            [key: string]: {
                                [key: string]: unknown;
                            };
                        };
                        params: {
                            [key: string]: unknown;
                        };
                        /** Format: uuid */
                        parentRunId: string | null;
                        priceCredits: number;
                        costUsd: number;
                        error: string | null;
                        createdAt: string;
                        startedAt: string | null;
                        finishedAt: string | null;
                        /** @description the delivered artifacts, each with a signed url */
                        results: {
                            [key: string]: unknown;
                        };
                        nodes: {
                            nodeId: string;
                            type: string;
                            /** @enum {string} */
                            state: "pending" | "queued" | "running" | "done" | "cached" | "failed" | "skipped" | "cancelled" | "awaiting_review";
                            attempts: number;
                            durationMs: number | null;
                            error: string | null;
                            /** @description by output port; artifact refs carry a signed url */
                            outputs: {
                                [key: string]: unknown;
                            };
                            /**
                             * Format: uuid
                             * @description set when a replay reused this node's outputs from that run
                             */
                            sourceRunId: string | null;
                            /** @description the latest execution's cost in USD (0 when cached); null until it finishes */
                            costUsd: number | null;
                            costParts: {
                                /** @enum {string} */
                                kind: "cloud" | "gpu" | "storage";
                                usd: number;
                                model?: string;
                                detail?: string;
                            }[] | null;
                            /** @description ISO 8601 */
                            startedAt: string | null;
                            /** @description ISO 8601 */
                            finishedAt: string | null;
                        }[];
                    };
                };
            };
        };
    };
    Shoots_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        /** @enum {boolean} */
                        cancelled: true;
                    };
                };
            };
        };
    };
    Subflows_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Subflows_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    description?: string;
                    graph: {
                        nodes: unknown[];
                        edges: unknown[];
                        annotations?: unknown[];
                    };
                    inputs: {
                        name: string;
                        /** @enum {string} */
                        type: "image" | "cutout" | "mask" | "prompt" | "candidates" | "score" | "review-decision" | "report";
                        label?: string;
                        targets: {
                            node: string;
                            port: string;
                        }[];
                    }[];
                    outputs: {
                        name: string;
                        /** @enum {string} */
                        type: "image" | "cutout" | "mask" | "prompt" | "candidates" | "score" | "review-decision" | "report";
                        label?: string;
                        source: {
                            node: string;
                            port: string;
                        };
                    }[];
                    /** @default [] */
                    params?: {
                        name: string;
                        node: string;
                        param: string;
                        title?: string;
                        default?: unknown;
                    }[];
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Subflows_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Subflows_remove: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Subflows_addVersion: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                    description?: string;
                    graph: {
                        nodes: unknown[];
                        edges: unknown[];
                        annotations?: unknown[];
                    };
                    inputs: {
                        name: string;
                        /** @enum {string} */
                        type: "image" | "cutout" | "mask" | "prompt" | "candidates" | "score" | "review-decision" | "report";
                        label?: string;
                        targets: {
                            node: string;
                            port: string;
                        }[];
                    }[];
                    outputs: {
                        name: string;
                        /** @enum {string} */
                        type: "image" | "cutout" | "mask" | "prompt" | "candidates" | "score" | "review-decision" | "report";
                        label?: string;
                        source: {
                            node: string;
                            port: string;
                        };
                    }[];
                    /** @default [] */
                    params?: {
                        name: string;
                        node: string;
                        param: string;
                        title?: string;
                        default?: unknown;
                    }[];
                    /** @default  */
                    message?: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Subflows_version: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_publish: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    graphVersionId: string;
                    slug: string;
                    name: string;
                    description?: string;
                    /** @default [] */
                    exposedParams?: {
                        nodeId: string;
                        param: string;
                        label: string;
                        allowed?: unknown[];
                    }[];
                    /** @default 1 */
                    priceCredits?: number;
                    /**
                     * @default private
                     * @enum {string}
                     */
                    visibility?: "private" | "public";
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    revision: number;
                    graphVersionId?: string;
                    name?: string;
                    description?: string;
                    priceCredits?: number;
                    /** @enum {string} */
                    visibility?: "private" | "public";
                    exposedParams?: {
                        nodeId: string;
                        param: string;
                        label: string;
                        allowed?: unknown[];
                    }[];
                    note?: string;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_changelog: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_republish: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    revision: number;
                    note?: string;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_unpublish: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    revision: number;
                    note?: string;
                };
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                idOrSlug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Templates_managed: {
        parameters: {
            query?: {
                /** @description only the templates of this graph */
                graphId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    Uploads_upload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description the product photo (JPEG, PNG, WebP, …)
                     */
                    image: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: uuid
                         * @description name it as uploadId in POST /api/v1/shoots
                         */
                        id: string;
                        sha256: string;
                        mime: string;
                        bytes: number;
                        width: number;
                        height: number;
                    };
                };
            };
        };
    };
    WebhookEndpoints_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        url: string;
                        eventTypes: ("shoot.completed" | "shoot.failed")[];
                        description: string | null;
                        /**
                         * @description 'own': a seller's endpoint hears of their own shoots only
                         * @enum {string}
                         */
                        scope: "tenant" | "own";
                        createdAt: string;
                    }[];
                };
            };
        };
    };
    WebhookEndpoints_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * Format: uri
                     * @description http(s) URL that receives POSTs signed in the Standard Webhooks format
                     */
                    url: string;
                    /**
                     * @default [
                     *       "shoot.completed",
                     *       "shoot.failed"
                     *     ]
                     */
                    eventTypes?: ("shoot.completed" | "shoot.failed")[];
                    description?: string;
                };
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        url: string;
                        eventTypes: ("shoot.completed" | "shoot.failed")[];
                        description: string | null;
                        /**
                         * @description 'own': a seller's endpoint hears of their own shoots only
                         * @enum {string}
                         */
                        scope: "tenant" | "own";
                        createdAt: string;
                        /** @description whsec_… signing secret; shown in this answer only */
                        secret: string;
                    };
                };
            };
        };
    };
    WebhookEndpoints_remove: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    WebhookEndpoints_deliveries: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: uuid
                         * @description the delivery id for .../resend
                         */
                        id: string;
                        /** @description the webhook-id header: the same on every retry and resend */
                        webhookId: string;
                        /** @enum {string} */
                        eventType: "shoot.completed" | "shoot.failed";
                        /** Format: uuid */
                        runId: string;
                        /** @enum {string} */
                        state: "pending" | "delivered" | "failed";
                        attempts: {
                            attempt: number;
                            startedAt: string;
                            durationMs: number;
                            statusCode: number | null;
                            error: string | null;
                        }[];
                        /** @description when the next retry is due (pending only) */
                        nextAttemptAt: string | null;
                        deliveredAt: string | null;
                        createdAt: string;
                    }[];
                };
            };
        };
    };
    WebhookEndpoints_resend: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                deliveryId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    ReplicateWebhook_receive: {
        parameters: {
            query?: never;
            header: {
                /** @description v1,<base64 HMAC-SHA256 of id.timestamp.body> */
                "webhook-signature": string;
                /** @description unix seconds; more than five minutes off is refused */
                "webhook-timestamp": string;
                /** @description delivery id: a repeat is answered 200 and ignored */
                "webhook-id": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        accepted?: boolean;
                        predictionId?: string;
                        /** @enum {string} */
                        reason?: "replayed";
                    };
                };
            };
            /** @description forged, tampered, unsigned or stale */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description REPLICATE_WEBHOOK_SECRET is not set */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
