// The browser walk of scripts/screenshots: a user's first steps with the
// FlexAPI integration in Home Assistant's own frontend, in Debian's Chromium.
//
// Every step waits for its expected result as text on the page (Playwright's
// locators pierce the frontend's open shadow roots); a step whose text does
// not show fails the walk. Screenshots go to FLEXAPI_IMAGES.
//
// Run by scripts/screenshots.py, which starts the demo and sets:
//   FLEXAPI_BASE_URL, FLEXAPI_USERNAME, FLEXAPI_PASSWORD, FLEXAPI_CLIENT_ID,
//   FLEXAPI_IMAGES, FLEXAPI_BROWSER_DIR (node_modules with playwright-core),
//   FLEXAPI_CHROMIUM, FLEXAPI_USER_DATA_DIR,
//   FLEXAPI_BIMETRI_JWT, FLEXAPI_BIMETRI_RESOURCE (empty: no Bimetri platform).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const require = createRequire(path.join(env.FLEXAPI_BROWSER_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const BASE = env.FLEXAPI_BASE_URL;
const CLIENT_ID = env.FLEXAPI_CLIENT_ID;
const IMAGES = env.FLEXAPI_IMAGES;
/** How long a step waits for its text (gateway round trips included). */
const TIMEOUT = 30_000;

class Skip extends Error {}

const steps = [];
const step = (name, fn) => steps.push({ name, fn });

/** Wait until `locator` is visible; fail with `what` as the message. */
async function expectVisible(locator, what, timeout = TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    throw new Error(`expected on the page: ${what}`);
  }
}

/** Poll `check` (an async predicate) until it holds; fail with `what`. */
async function waitFor(check, what, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`expected on the page: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The text field labelled `label` (2026.x adds a button to some, e.g. a
 * password's "Show password", and a "*" to required labels). */
const input = (page, label) =>
  page
    .getByRole('textbox', { name: label })
    .or(page.getByRole('spinbutton', { name: label }))
    .or(page.getByLabel(label).and(page.locator('input, textarea')))
    .first();

/** A logbook line of the device page: the entity, then what it did. */
// 2025.x renders "Digital output 1 turned on"; the 2026.x activity card the
// entity's name and its new state ("Digital output 1", "On").
const exactly = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
const logbookLine = (page, name, message, value) =>
  page
    .locator('ha-logbook-renderer .entry-container')
    .filter({ hasText: name })
    .filter({ hasText: message })
    .or(
      page
        .locator('ha-logbook-entry')
        .filter({ has: page.locator('.subject', { hasText: exactly(name) }) })
        .filter({ has: page.locator('.value', { hasText: exactly(value) }) }),
    );

/** A string the frontend could not format shows as "Translation error: ...". */
async function expectNoTranslationError(page) {
  const broken = page.getByText(/Translation error/);
  if (await broken.first().isVisible()) {
    throw new Error(`the page shows "${(await broken.first().innerText()).trim()}"`);
  }
}

async function shot(page, name) {
  await page.waitForTimeout(400); // let ripples and dialogs settle
  await expectNoTranslationError(page);
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`) });
}

/** Wait until the action ran: its button back from progress, no error shown. */
async function expectNoError(page) {
  await page.waitForFunction(() => {
    const find = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'HA-PROGRESS-BUTTON') return el;
        if (el.shadowRoot) {
          const hit = find(el.shadowRoot);
          if (hit) return hit;
        }
      }
      return null;
    };
    const button = find(document);
    return button && !button.progress;
  }, null, { timeout: TIMEOUT });
  const error = page.locator('developer-tools-action ha-alert[alert-type="error"]');
  if (await error.first().isVisible()) {
    throw new Error(`the action failed: ${await error.first().innerText()}`);
  }
}

const state = { deviceUrl: '', deviceId: '' };

// -- the walk -----------------------------------------------------------------

// The end of a config flow that made an entry: HA 2025.x says "Created
// configuration for …" with a Finish button; 2026.x asks to name the new
// device and assign an area ("Skip and finish"), or, for an entry without a
// device, shows the success message.
async function finishFlow(page, message, what) {
  const success = page.getByText(message);
  const assign = page.getByRole('button', { name: 'Skip and finish' });
  await expectVisible(success.or(assign).first(), what);
  if (await assign.isVisible()) {
    await assign.click();
  } else {
    await page.getByRole('button', { name: 'Finish' }).click();
  }
}

step('log in', async (page) => {
  await page.goto(`${BASE}/`);
  await page.locator('input[name="username"]').fill(env.FLEXAPI_USERNAME);
  await page.locator('input[name="password"]').fill(env.FLEXAPI_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/auth'), { timeout: TIMEOUT });
  // The sidebar of a logged-in user.
  await expectVisible(page.getByText('Settings', { exact: true }), 'the sidebar (Settings)');
});

step('add the discovered gateway', async (page) => {
  await page.goto(`${BASE}/config/integrations/dashboard`);
  await expectVisible(page.getByText('Discovered', { exact: true }), 'the Discovered section');
  const card = page.locator('ha-config-flow-card').filter({ hasText: CLIENT_ID });
  await expectVisible(card.getByText('FlexAPI (InHand Networks gateways)'), 'the discovered FlexAPI card');
  await card.getByRole('button', { name: 'Add' }).click();
  await expectVisible(page.getByText('FlexAPI gateway found'), 'the confirm step');
  // The gateway answered the flow's system info request.
  await expectVisible(page.getByText('Model: VG710'), 'the model from the gateway');
  await shot(page, 'config-flow-confirm');
  await page.getByRole('button', { name: 'Submit' }).click();
  await finishFlow(page, `Created configuration for ${CLIENT_ID}.`, 'the success message');
});

step('open the device page', async (page) => {
  await page.goto(`${BASE}/config/integrations/integration/flexapi`);
  await page.getByText('1 device', { exact: true }).first().click();
  await page.waitForURL(/\/config\/devices\/device\//, { timeout: TIMEOUT });
  state.deviceUrl = page.url();
  state.deviceId = state.deviceUrl.split('/').pop();
  await expectVisible(page.getByText('by InHand Networks'), 'the manufacturer');
  await expectVisible(page.getByText('Digital output 1', { exact: true }), 'the DO1 switch');
  await expectVisible(page.getByText('Vehicle speed', { exact: true }), 'the vehicle speed sensor');
  await expectVisible(page.getByText('2.4 GHz Wi-Fi mode', { exact: true }), 'the Wi-Fi mode select');
  await shot(page, 'device');
});

step('toggle DO1 and see it confirmed', async (page) => {
  const row = page.locator('hui-toggle-entity-row').filter({ hasText: /^\s*Digital output 1\s*$/ });
  const toggle = row.locator('ha-entity-toggle ha-switch');
  await expectVisible(toggle, 'the DO1 toggle');
  const wasOn = await toggle.evaluate((el) => el.checked);
  const [turned, stateText] = wasOn ? ['turned off', 'Off'] : ['turned on', 'On'];
  await toggle.click();
  // The switch shows only states the gateway confirmed (io/info, the
  // control response), so a logbook line means the gateway did it.
  await expectVisible(logbookLine(page, 'Digital output 1', turned, stateText), `logbook: Digital output 1 ${turned}`);
  await page.getByText('Digital output 1', { exact: true }).first().click();
  const header = page.locator('ha-more-info-state-header');
  await expectVisible(header.getByText(stateText, { exact: true }), `the more-info state "${stateText}"`);
  await shot(page, 'do1-confirmed');
  await page.keyboard.press('Escape');
  await header.waitFor({ state: 'hidden', timeout: TIMEOUT });
});

step('change a Wi-Fi mode', async (page) => {
  const select = page.locator('hui-select-entity-row').filter({ hasText: '2.4 GHz Wi-Fi mode' }).locator('ha-select');
  await expectVisible(select, 'the 2.4 GHz Wi-Fi mode select');
  const current = (await select.evaluate((el) => el.value)) || '';
  const [target, targetValue] = current === 'sta' ? ['Access point', 'ap'] : ['Station (client)', 'sta'];
  await select.click();
  // 2025.x lists options; 2026.x a dropdown menu of items.
  await page
    .getByRole('option', { name: target, exact: true })
    .or(select.getByRole('menuitem', { name: target, exact: true }))
    .first()
    .click();
  await waitFor(() => select.evaluate((el, v) => el.value === v, targetValue), `the select showing ${target}`);
  // The select's state changes when app/refresh confirms the new mode. The
  // logbook card renders only the lines in view: scroll it there.
  await page.locator('ha-logbook').first().scrollIntoViewIfNeeded();
  await expectVisible(logbookLine(page, '2.4 GHz Wi-Fi mode', `changed to ${target}`, target), `logbook: 2.4 GHz Wi-Fi mode changed to ${target}`);
  await shot(page, 'device-logbook');
});

step('perform flexapi.get_custom_groups in Developer tools', async (page) => {
  await page.goto(`${BASE}/developer-tools/action`);
  const perform = page.getByRole('button', { name: 'Perform action' });
  await expectVisible(perform, 'the Perform action button');
  // 2025.x: a "Go to YAML mode" button; 2026.x: a "UI mode | YAML mode" switch.
  const yamlMode = page
    .getByRole('button', { name: 'Go to YAML mode' })
    .or(page.getByRole('button', { name: 'YAML mode', exact: true }))
    .or(page.getByRole('radio', { name: 'YAML mode', exact: true }))
    .or(page.getByRole('tab', { name: 'YAML mode', exact: true }))
    .first();
  if (await yamlMode.isVisible()) await yamlMode.click();
  const editor = page.locator('ha-code-editor .cm-content').first();

  async function run(yaml) {
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(yaml); // no auto-indent, unlike typing
    await perform.click();
  }

  // A custom group first, so that there is something to read back.
  await run(
    [
      'action: flexapi.set_custom_groups',
      'data:',
      `  device_id: ${state.deviceId}`,
      '  groups:',
      '    - group_name: trip',
      '      interval: 60',
      '      interest:',
      '        obd.speed: speed',
      '        gnss.latitude: lat',
      '',
    ].join('\n'),
  );
  await expectNoError(page);
  await page.waitForTimeout(1500); // settings requests are 1 s apart
  await run(
    ['action: flexapi.get_custom_groups', 'data:', `  device_id: ${state.deviceId}`, ''].join('\n'),
  );
  const response = page.locator('ha-card').filter({ hasText: 'Response' });
  const line = (re) => response.locator('.cm-line').filter({ hasText: re });
  await expectVisible(line(/^\s*- group_name: trip\s*$/), 'the line "- group_name: trip" in the response');
  await expectVisible(line(/^\s*obd\.speed: speed\s*$/), 'the line "obd.speed: speed" in the response');
  await shot(page, 'action-response');
});

step('Bimetri: add an application and a resource, switch an ExtDO output', async (page) => {
  await page.goto(`${BASE}/config/integrations/dashboard`);
  await page.getByRole('button', { name: 'Add integration' }).click();
  // 2025.x labels the search box, 2026.x gives it a placeholder.
  const search = page
    .getByRole('textbox', { name: 'Search for a brand name' })
    .or(page.getByPlaceholder('Search for a brand name'))
    .first();
  await expectVisible(search, 'the brand search');
  // A filter typed before the list has loaded is lost: type until it shows.
  // The last match: the search result in the dialog, not the card behind it.
  const result = page.getByText('FlexAPI (InHand Networks gateways)', { exact: true }).last();
  await waitFor(async () => {
    await search.fill('FlexAPI');
    await result.waitFor({ state: 'visible', timeout: 2_000 });
    return (await page.getByText('3 Day Blinds', { exact: true }).count()) === 0;
  }, 'FlexAPI found in the brand search');
  await result.click();
  const bimetri = page.getByText('A Bimetri application', { exact: false });
  const gatewaySearch = page.getByText('Looking for FlexAPI gateways');
  // With a discovered gateway still waiting, HA first offers to add it.
  const another = page.getByText(/Set ?up another instance of FlexAPI/);
  await expectVisible(bimetri.or(gatewaySearch).or(another), 'the first step of the FlexAPI flow');
  if (await another.first().isVisible()) {
    await another.first().click();
    await expectVisible(bimetri.or(gatewaySearch), 'the first step of the FlexAPI flow');
  }
  if (!(await bimetri.first().isVisible())) {
    await page.keyboard.press('Escape'); // closes the dialog, ends the flow
    throw new Skip('this integration has no "Bimetri application" entry kind yet (no menu option)');
  }
  if (!env.FLEXAPI_BIMETRI_JWT) {
    await page.keyboard.press('Escape');
    throw new Skip('the demo runs no simulated Bimetri platform (no token)');
  }
  await bimetri.first().click();
  await expectVisible(page.getByText('Add a Bimetri application'), 'the Bimetri form');
  await input(page, 'App name').fill('browserWalk');
  await input(page, 'Instance ID').fill('1');
  await input(page, 'Token (JWT)').fill(env.FLEXAPI_BIMETRI_JWT);
  await input(page, 'User ID').fill('12345');
  await input(page, 'Organization ID').fill('23456');
  await shot(page, 'bimetri-application');
  await page.getByRole('button', { name: 'Submit' }).click();
  await finishFlow(page, /Created configuration for .*browserWalk/, 'the Bimetri success message');

  await page.goto(`${BASE}/config/integrations/integration/flexapi`);
  const entry = page.locator('ha-config-entry-row, ha-integration-card, ha-md-list-item').filter({ hasText: 'browserWalk' });
  await expectVisible(entry, 'the Bimetri entry');
  const add = page.getByText('Add resource', { exact: true });
  if (!(await add.first().isVisible())) {
    await entry.first().locator('ha-button-menu, ha-md-button-menu').first().click();
  }
  await add.first().click();
  await expectVisible(page.getByText('Add a resource'), 'the resource form');
  await input(page, 'Resource ID').fill(env.FLEXAPI_BIMETRI_RESOURCE);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expectVisible(page.getByText(`Outputs of resource ${env.FLEXAPI_BIMETRI_RESOURCE}`), 'the outputs form');
  // A combo box taking typed numbers; outputs heard already are preselected.
  // 2026.x: an "Outputs" button opens a list with a search field that takes
  // a custom item.
  const outputs = page.getByLabel('Outputs').and(page.locator('input'));
  if (await outputs.count()) {
    await outputs.click();
    await outputs.fill('1');
    await page.keyboard.press('Enter');
  } else {
    await page.locator('dialog-data-entry-flow').getByRole('button', { name: 'Outputs' }).first().click();
    await page.getByPlaceholder('Search | Add custom item').fill('1');
    await page.locator('dialog-data-entry-flow').getByText('1', { exact: true }).filter({ visible: true }).first().click();
    // Close the list (a click on the form's text) before the next field.
    await page.getByText('Pick or type the output numbers', { exact: false }).click();
  }
  await input(page, 'Name').fill('Browser relays');
  await shot(page, 'bimetri-resource');
  await page.getByRole('button', { name: 'Submit' }).click();
  await finishFlow(page, 'Success', 'the resource success message');

  await page.goto(`${BASE}/config/devices/dashboard`);
  await page.getByText('Browser relays', { exact: true }).first().click();
  const row = page.locator('hui-toggle-entity-row').filter({ hasText: /^\s*Output 1\s*$/ });
  await expectVisible(row, 'the ExtDO Output 1 row');
  // Before its first confirmed state the output shows two buttons (off, on),
  // after it a toggle.
  const toggle = row.locator('ha-entity-toggle ha-switch');
  let [turned, value] = ['turned on', 'On'];
  if (await toggle.first().isVisible()) {
    if (await toggle.evaluate((el) => el.checked)) [turned, value] = ['turned off', 'Off'];
    await toggle.click();
  } else {
    await row.getByRole('button', { name: /^Turn .*Output 1 on$/ }).click();
  }
  await expectVisible(logbookLine(page, 'Output 1', turned, value), `logbook: Output 1 ${turned}`);
  await shot(page, 'bimetri-extdo');
});

step('open the map with the vehicle on it', async (page) => {
  await page.goto(`${BASE}/map`);
  // The tracker's marker shows the initials of "VG710-DEMO Location".
  const marker = page.locator(`ha-entity-marker[entity-id="device_tracker.${CLIENT_ID.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_location"]`);
  // 2026.x lists people first: the vehicle is under "Devices".
  const devicesTab = page.getByRole('tab', { name: 'Devices', exact: true })
    .or(page.getByRole('radio', { name: 'Devices', exact: true }))
    .or(page.getByRole('button', { name: 'Devices', exact: true }))
    .or(page.getByText('Devices', { exact: true }))
    .first();
  await devicesTab.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {});
  if (await devicesTab.isVisible()) await devicesTab.click();
  await expectVisible(marker, 'the vehicle marker on the map');
  await marker.click();
  // 2025.x opens the more-info dialog; 2026.x the map's own panel.
  const dialog = page.locator('ha-more-info-dialog');
  await expectVisible(
    dialog.getByText('Location', { exact: true }).or(page.getByText(`${CLIENT_ID} Location`, { exact: true })),
    'the tracker (Location)',
  );
  await expectVisible(
    dialog.getByText('Away', { exact: true }).or(page.getByText(/^Away\b/)),
    'the tracker state (Away)',
  );
  await shot(page, 'map');
});

// -- the runner ---------------------------------------------------------------

async function main() {
  fs.mkdirSync(IMAGES, { recursive: true });
  const started = Date.now();
  // A fresh profile in the caller's FLEXAPI_USER_DATA_DIR (it removes it,
  // and finds any Chromium left over by it).
  const context = await chromium.launchPersistentContext(env.FLEXAPI_USER_DATA_DIR, {
    executablePath: env.FLEXAPI_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1600, height: 1000 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  let failed = 0;
  let skipped = 0;
  let passed = 0;
  // FLEXAPI_WALK_STEPS="log in,Bimetri": only the steps whose names start so.
  const only = (env.FLEXAPI_WALK_STEPS || '').split(',').filter(Boolean);
  const chosen = only.length ? steps.filter((s) => only.some((o) => s.name.startsWith(o))) : steps;
  for (const { name, fn } of chosen) {
    const t0 = Date.now();
    try {
      await fn(page);
      await expectNoTranslationError(page);
      passed += 1;
      console.log(`  ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      if (err instanceof Skip) {
        skipped += 1;
        console.log(`  SKIP  ${name}: ${err.message}`);
        continue;
      }
      failed += 1;
      const where = path.join(env.FLEXAPI_BROWSER_DIR, 'failure.png');
      await page.screenshot({ path: where }).catch(() => {});
      console.log(`  FAIL  ${name}: ${err.message.split('\n')[0]}`);
      console.log(`        page ${page.url()}, screenshot ${where}`);
      if (env.FLEXAPI_WALK_DEBUG) console.log(err);
      break;
    }
  }
  await context.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const verdict = failed ? 'FAILED' : 'passed';
  console.log(`browser walk ${verdict}: ${passed} of ${chosen.length} steps ok, ${skipped} skipped, in ${seconds} s`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
