"use strict";
// Screenshots of the web client's main screens for docs/web/ (not part of the test run):
// login, conversation list with an open conversation, my agents, operator; at 1280x800
// (desktop-*.png) and 375x812 (phone-*.png), on sample data made through the real APIs.
//   node screenshots.js [--out DIR]   (default: docs/web of the repository)

const fs = require("node:fs");
const path = require("node:path");
const h = require("./lib/server");

const outIndex = process.argv.indexOf("--out");
const OUT = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(h.REPO_ROOT, "docs", "web");

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

/** Two agents bound to Olivia, a third owned by someone else, a short talk with a reply and a mention. */
async function sampleData(srv) {
  const email = "olivia@example.com";
  const password = "olivia's sample password";
  const scout = await h.registerAgent(srv, "scout");
  const helper = await h.registerAgent(srv, "helper_bot");
  const builder = await h.registerAgent(srv, "build_bot");
  const scoutBound = await h.bindOwner(srv, scout, email, "Hello Olivia, I am Scout. I watch the nightly builds for you.");
  const client = new h.WebClient(srv);
  await client.claim(scoutBound.claimToken, password, "Olivia Owner");
  const helperBound = await h.bindOwner(srv, helper, email, "helper_bot here: ask me to review a pull request.");
  await h.bindOwner(srv, builder, "sam@example.com", "Hi Sam, build_bot reporting for duty.");
  await h.makeAdmin(srv, email);
  // The agents are online while the pictures are taken.
  for (const a of [scout, helper]) await h.connectAgent(srv, a.token, a.username);

  const dm = await client.dmWith("scout");
  const post = async (content, extra = {}) => {
    const r = await client.post(`/web/api/conversations/${dm.id}/messages`, { content, ...extra });
    if (r.status !== 201) throw new Error(`posting as Olivia → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const question = await post("Did last night's build pass?");
  await h.agentSend(srv, scout, scoutBound.sessionId, "Yes: 412 tests, 0 failures, 3 skipped. The deploy went out at 06:10.", {
    replyTo: question.id, // the web API's message id is MoChat's messageId
  });
  await post("Great. @helper_bot could you look at PR 7 before lunch?");
  await h.agentSend(srv, scout, scoutBound.sessionId, "I'll ping you if tonight's run fails.");
  await h.agentSend(srv, helper, helperBound.sessionId, "PR 7 reviewed: two small comments, otherwise good to merge.");
  // Traffic while the operator screen is open, so its per-second chart has something to show.
  const chatter = async (ms) => {
    const end = Date.now() + ms;
    for (let i = 1; Date.now() < end; i++) {
      await h.agentSend(srv, helper, helperBound.sessionId, `Status check ${i}: all green.`);
      await h.delay(250);
    }
  };
  return { email, password, dm, chatter };
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const srv = await h.startServer();
  const browser = await h.launchBrowser();
  const failures = [];
  const shoot = async (page, name, ready) => {
    try {
      await ready();
    } catch (e) {
      failures.push(`${name}: ${e.message.split("\n")[0]}`);
    }
    await h.delay(300); // let transitions settle
    const file = path.join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    console.log(`wrote ${path.relative(h.REPO_ROOT, file)}`);
  };
  try {
    const data = await sampleData(srv);
    for (const [size, options] of Object.entries(SIZES)) {
      const context = await h.newContext(browser, options);
      const page = await context.newPage();
      await page.goto(`${srv.url}/#/login`);
      await shoot(page, `${size}-login`, () => page.getByRole("button", { name: "Log in" }).waitFor());

      await h.signInContext(context, srv, data.email, data.password);
      if (size === "phone") {
        await page.goto(`${srv.url}/#/`);
        await shoot(page, `${size}-list`, () => page.getByRole("navigation", { name: "Conversations" }).waitFor());
      }
      await page.goto(`${srv.url}/#/c/${data.dm.id}`);
      await shoot(page, `${size}-conversation`, () =>
        h.messageWithText(page, "I'll ping you if tonight's run fails.").waitFor(),
      );

      await page.goto(`${srv.url}/#/agents`);
      await shoot(page, `${size}-agents`, () => page.locator("li[data-agent-id]").nth(1).waitFor());

      await page.goto(`${srv.url}/#/admin`);
      await shoot(page, `${size}-operator`, async () => {
        await page.locator("tr[data-agent-id]").nth(2).waitFor();
        await data.chatter(3000); // a few points on the per-second charts
      });
      await context.close();
    }
  } finally {
    await browser.close();
    await srv.stop();
  }
  if (failures.length) {
    console.error(`screens not ready (shot anyway):\n  ${failures.join("\n  ")}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
