using Microsoft.Playwright;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>
/// The page in a real headless Chromium (the Debian package, driven by Playwright with <c>ExecutablePath</c>): a labeler
/// drags cards into an order and submits, then ranks by number keys with a tie and a flag; the database must hold
/// exactly those rankings. And model text holding markup must show as text and run nothing.
/// Set <c>RLHF_LABEL_SCREENSHOT=path.png</c> to save what the labeler sees (docs/img/label-page.png).
/// </summary>
public sealed class FeedbackBrowserTests : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    private async Task<IPage> OpenAsync(ServerHarness h, string token)
    {
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 900 } });
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync($"{h.Server.Address}#token={token}");
        await page.WaitForSelectorAsync("#task:not([hidden]) .card");
        return page;
    }

    /// <summary>Completion index of each card, top to bottom.</summary>
    private static async Task<int[]> OrderAsync(IPage page) =>
        [.. (await page.Locator("#cards > li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.index)")).Select(int.Parse)];

    [ChromiumFact]
    public async Task DragIntoOrder_AndKeyboardWithTie_Submit_DatabaseHoldsExactlyThoseRankings()
    {
        CompletionGroup[] groups =
        [
            new("Write one sentence about the sea.", [
                "The sea was calm and silver under the morning light, and it felt like the whole world was breathing slowly.",
                "sea sea sea sea",
                "The ocean is big.",
                "Waves crashed against the old harbour wall while gulls argued over the fishing boats."]),
            new("Say hi politely.", ["Hello, nice to meet you!", "hi", "What do you want?"]),
        ];
        await using var h = await ServerHarness.StartAsync(groups);
        var (_, token) = h.Store.AddLabeler("alice", isAdmin: true);
        var page = await OpenAsync(h, token);
        Assert.Equal("Write one sentence about the sea.", await page.TextContentAsync("#prompt-text"));

        // 1. drag: for each position top-down, pick up the wanted card by its bar and drop it onto that position
        int[] wanted = [3, 0, 2, 1];
        Assert.NotEqual(wanted, await OrderAsync(page)); // the cards start in another order: the drags must do the work
        for (int position = 0; position < wanted.Length; position++)
        {
            var cards = page.Locator("#cards > li");
            int at = Array.IndexOf(await OrderAsync(page), wanted[position]);
            if (at == position) continue;
            var from = (await cards.Nth(at).Locator(".bar").BoundingBoxAsync())!;
            var to = (await cards.Nth(position).BoundingBoxAsync())!;
            await page.Mouse.MoveAsync(from.X + 40, from.Y + from.Height / 2);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(from.X + 40, to.Y + 3, new MouseMoveOptions { Steps = 12 });
            await page.Mouse.UpAsync();
        }
        Assert.Equal(wanted, await OrderAsync(page));
        if (Environment.GetEnvironmentVariable("RLHF_LABEL_SCREENSHOT") is { Length: > 0 } shot)
        {
            await page.Locator("#cards > li").Nth(3).Locator(".tie").ClickAsync(); // show a tie in the picture, then undo it
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            await page.Locator("#cards > li").Nth(3).Locator(".tie").ClickAsync();
        }
        await page.ClickAsync("#submit");
        await page.WaitForFunctionAsync("() => document.getElementById('prompt-text').textContent === 'Say hi politely.'");

        // 2. keyboard: type the card numbers of completions 1 then 2 (0 goes last by itself), '=' ties the last two, 'u' flags unsafe
        var numbers = await page.Locator("#cards > li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.index + ':' + e.dataset.number)");
        string NumberOf(int index) => numbers.Single(n => n.StartsWith($"{index}:", StringComparison.Ordinal)).Split(':')[1];
        await page.Keyboard.PressAsync(NumberOf(1));
        await page.Keyboard.PressAsync(NumberOf(2));
        await page.Keyboard.PressAsync("=");
        await page.Keyboard.PressAsync("u");
        int[] typed = await OrderAsync(page);
        Assert.Equal([1, 2, 0], typed);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#done:not([hidden])");
        Assert.Contains("2 labeled · 0 left", await page.TextContentAsync("#progress"));

        var labels = h.Store.Labels();
        Assert.Equal(2, labels.Count);
        Assert.Equal(wanted, labels[0].Ranking);
        Assert.Equal((1L, 0, false, false), (labels[0].Task.Id, labels[0].Ties.Count, labels[0].AllBad, labels[0].Unsafe));
        Assert.Equal([1, 2, 0], labels[1].Ranking);
        Assert.Equal((2L, true, false), (labels[1].Task.Id, labels[1].Unsafe, labels[1].AllBad));
        Assert.Equal([2, 0], Assert.Single(labels[1].Ties));
        Assert.All(labels, l => Assert.True(l.ElapsedMs > 0));

        // 3. the overview (admins): counts, and the export button downloads what `rlhf label export` writes
        await page.ClickAsync("#overview-link");
        await page.WaitForSelectorAsync("#summary:not([hidden])");
        Assert.Contains("labels2", (await page.TextContentAsync("#counts"))!.Replace(" ", ""));
        Assert.Equal("alice", await page.TextContentAsync("#labelers th"));
        if (Environment.GetEnvironmentVariable("RLHF_LABEL_SCREENSHOT") is { Length: > 0 } overviewShot)
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.ChangeExtension(overviewShot, null) + "-overview.png", FullPage = true });
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-ranked"));
        string file = h.File("download.jsonl");
        await download.SaveAsAsync(file);
        var records = PreferenceData.Load(file).Records;
        Assert.Equal([wanted, [1, 2, 0]], records.Select(r => r.Ranking.ToArray()));
    }

    [ChromiumFact]
    public async Task ModelTextWithMarkup_ShowsAsText_AndRunsNothing()
    {
        const string prompt = "<b>bold?</b><script>window.__xss = 'prompt'</script>";
        string[] completions =
        [
            "<script>window.__xss = 1; alert(1)</script>",
            "<img src=x onerror=\"window.__xss = 2\">",
            "</div><svg onload=\"window.__xss = 3\"></svg>plain & simple",
        ];
        await using var h = await ServerHarness.StartAsync([new CompletionGroup(prompt, completions)]);
        var (_, token) = h.Store.AddLabeler("mallory-target");
        bool dialog = false;
        var page = await _browser!.NewPageAsync();
        page.Dialog += (_, d) => { dialog = true; _ = d.DismissAsync(); };
        await page.GotoAsync($"{h.Server.Address}#token={token}");
        await page.WaitForSelectorAsync("#task:not([hidden]) .card");
        await page.WaitForTimeoutAsync(300); // let an injected image error or onload fire, were there any

        Assert.Equal(prompt, await page.TextContentAsync("#prompt-text"));
        var shown = await page.Locator("#cards .text").AllTextContentsAsync();
        Assert.Equal(completions.Order(), shown.Order());
        Assert.Equal(0, await page.Locator("#cards script, #cards img, #cards svg, #prompt-text b, #prompt-text script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        Assert.False(dialog);
    }
}
