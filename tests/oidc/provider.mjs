// A real OpenID Connect provider for Convene's tests (oidc-provider), on
// 127.0.0.1 and a free port. It prints its issuer URL, then serves until
// killed. Its one client is Convene; its accounts come from ACCOUNTS (JSON:
// { "id": { "email": ..., "email_verified": true } }). Sign-in uses the
// package's development login form, where any password works.
import http from "node:http";
import Provider from "oidc-provider";

const redirectUri = process.env.REDIRECT_URI;
const accounts = JSON.parse(process.env.ACCOUNTS || "{}");
if (!redirectUri) throw new Error("REDIRECT_URI is required");

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "convene",
      client_secret: "convene-test-secret",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  // Put the claims in the ID token itself, as many providers do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["convene-test-cookie-key"] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.on("server_error", (ctx, error) => console.error("provider error:", error));
server.on("request", provider.callback());
console.log(`issuer ${issuer}`);
