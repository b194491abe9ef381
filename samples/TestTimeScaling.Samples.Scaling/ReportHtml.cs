using System.Globalization;
using System.Net;
using System.Text;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// The run as one self-contained HTML page (inline CSS and script, plots as data URIs; no server, no network): the
/// plots, the table, the highlights, and each recorded search as a tree of steps with their scores, the branches it dropped on the way
/// (greyed, with why), the candidates kept at the end and the chosen answer, beside the search's own round-by-round trace.
/// </summary>
public static class ReportHtml
{
    /// <summary>Builds the page.</summary>
    /// <param name="report">The run's results.</param>
    /// <param name="searches">The recorded searches (may be empty).</param>
    /// <param name="plots">PNG images to show, each with a caption.</param>
    public static string Build(RunReport report, IReadOnlyList<RecordedSearch> searches, IReadOnlyList<(byte[] Png, string Caption)> plots)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(searches);
        ArgumentNullException.ThrowIfNull(plots);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<title>Test-time scaling report</title><style>").Append(Css).Append("</style></head><body>");
        html.Append("<h1>Test-time scaling report</h1>");
        html.Append("<p class=\"meta\">").Append(E(report.Command)).Append("<br>")
            .Append(E(string.Create(CultureInfo.InvariantCulture,
                $"started {report.StartedUtc:yyyy-MM-dd HH:mm} UTC, {report.WallSeconds / 60:F1} min on {report.Device}; {(report.Completed ? "completed" : "interrupted (partial results)")}; models: {report.Models}")))
            .Append("</p>");

        html.Append("<h2>Plots</h2>");
        foreach (var (png, caption) in plots)
            html.Append("<figure><img alt=\"").Append(E(caption)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png))
                .Append("\"><figcaption>").Append(E(caption)).Append("</figcaption></figure>");

        if (report.Highlights.Count > 0)
        {
            html.Append("<h2>Highlights</h2><ul class=\"highlights\">");
            foreach (var line in report.Highlights) html.Append("<li>").Append(E(line)).Append("</li>");
            html.Append("</ul>");
        }

        html.Append("<h2>Results</h2><table class=\"results\"><thead><tr>");
        foreach (var h in ResultTable.Headers) html.Append("<th>").Append(E(h)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var cell in report.Cells)
        {
            html.Append("<tr>");
            foreach (var value in ResultTable.Row(cell)) html.Append("<td>").Append(E(value)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        html.Append("<p class=\"note\">accuracy: share of problems answered correctly, 95% percentile bootstrap over problems; tokens, passes and PRM calls are means per problem.</p>");

        html.Append("<h2>Searches step by step</h2>");
        if (searches.Count == 0)
            html.Append("<p>No searches were recorded in this run (run with <code>--traces N</code> to keep N problems' searches).</p>");
        else
        {
            html.Append("<p class=\"note\">Each tree joins the returned candidates at the steps they share; a node shows its step, the verifier's score of that step ")
                .Append("and, as ×m, how many returned candidates pass through it (a beam or particle that was copied forward). ")
                .Append("<span class=\"chosen-key\">Green</span> marks the chosen answer's path; <span class=\"pruned-key\">grey</span> branches were dropped ")
                .Append("before the end (a beam ranked below the kept ones, a subtree's losing sibling, a particle resampled away, a node never expanded), ")
                .Append("each with the reason from the search's trace. The per-round table beside each tree gives how many rows were expanded and kept.</p>");
            html.Append("<p><label>Show <select id=\"strategy-filter\"><option value=\"\">all strategies</option>");
            foreach (var name in searches.Select(s => s.Strategy).Distinct())
                html.Append("<option>").Append(E(name)).Append("</option>");
            html.Append("</select></label> <button type=\"button\" id=\"expand-all\">expand all</button> <button type=\"button\" id=\"collapse-all\">collapse all</button></p>");
            int i = 0;
            foreach (var search in searches) AppendSearch(html, search, i++ == 0);
        }
        html.Append("<script>").Append(Script).Append("</script></body></html>\n");
        return html.ToString();
    }

    private static void AppendSearch(StringBuilder html, RecordedSearch search, bool open)
    {
        var tree = SearchTree.Build(search);
        html.Append("<details class=\"search\" data-strategy=\"").Append(E(search.Strategy)).Append('"').Append(open ? " open" : "").Append("><summary>")
            .Append(E(FormattableString.Invariant($"{search.Strategy}@{search.Budget} on {search.ProblemId} (level {search.Level}): ")))
            .Append(search.Correct ? "<span class=\"ok\">right</span>" : "<span class=\"bad\">wrong</span>")
            .Append(E($" — answer {search.Answer ?? "none"}, reference {search.Reference}, {search.Candidates.Count} candidate(s), {search.Outcome}"))
            .Append("</summary><div class=\"search-body\"><pre class=\"prompt\">").Append(E(search.Prompt.TrimEnd())).Append("</pre>");
        html.Append("<div class=\"columns\"><div class=\"tree-col\"><ul class=\"tree\">");
        foreach (var child in tree.Children) AppendNode(html, child, search);
        html.Append("</ul></div><div class=\"events-col\"><table class=\"events\"><thead><tr><th>#</th><th>event</th><th>what happened</th><th>figures</th></tr></thead><tbody>");
        foreach (var e in search.Events)
        {
            html.Append("<tr><td>").Append(e.Index.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(E(e.Kind)).Append("</td><td>")
                .Append(E(e.Message)).Append("</td><td>");
            if (e.Values is { } values)
                html.Append(E(string.Join(", ", values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} {v.Value:0.###}")))));
            html.Append("</td></tr>");
        }
        html.Append("</tbody></table></div></div></div></details>");
    }

    private static void AppendNode(StringBuilder html, SearchTree node, RecordedSearch search)
    {
        html.Append("<li><div class=\"node").Append(node.OnChosenPath ? " chosen" : "").Append(node.Pruned ? " pruned" : "").Append('"');
        if (node.PruneReason is { } why) html.Append(" title=\"").Append(E(why)).Append('"');
        html.Append("><span class=\"step\">").Append(E(node.Text)).Append("</span>");
        if (node.Score is { } score) html.Append(" <span class=\"score\" title=\"verifier score of this step\">").Append(score.ToString("0.000", CultureInfo.InvariantCulture)).Append("</span>");
        if (node.Paths > 1) html.Append(" <span class=\"paths\" title=\"returned candidates through this step\">×").Append(node.Paths.ToString(CultureInfo.InvariantCulture)).Append("</span>");
        // Identical candidates (beams or particles that reached the same text) are one entry with their count.
        foreach (var same in node.Ends.GroupBy(e => e.Text, StringComparer.Ordinal))
        {
            var end = same.First();
            bool right = end.Answer is not null && end.Answer == search.Reference;
            bool chosen = end.Text == search.ChosenText;
            html.Append(" <span class=\"end").Append(chosen ? " picked" : "").Append("\">")
                .Append(E(FormattableString.Invariant($"{(chosen ? "chosen: " : "")}answer {end.Answer ?? "none"}")))
                .Append(right ? " ✓" : " ✗");
            if (same.Count() > 1) html.Append(E(FormattableString.Invariant($" ×{same.Count()}")));
            if (end.Score is { } s) html.Append(E(FormattableString.Invariant($", score {s:0.000}")));
            html.Append(E(FormattableString.Invariant($", {end.GeneratedTokens} tokens, {end.FinishReason}"))).Append("</span>");
        }
        if (node.PruneReason is { } reason) html.Append(" <span class=\"why\">dropped: ").Append(E(reason)).Append("</span>");
        html.Append("</div>");
        if (node.Children.Count > 0)
        {
            html.Append("<ul>");
            foreach (var child in node.Children) AppendNode(html, child, search);
            html.Append("</ul>");
        }
        html.Append("</li>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        body{font:14px/1.45 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
        h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
        .meta,.note{color:#555;font-size:13px}figure{margin:12px 0}img{max-width:100%;border:1px solid #eee}
        figcaption{color:#555;font-size:12px}
        table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:right}
        td:first-child,th:first-child{text-align:left}.events td,.events th{text-align:left;vertical-align:top}
        details.search{border:1px solid #ddd;border-radius:6px;margin:8px 0;padding:6px 10px}summary{cursor:pointer}
        .ok{color:#18794e;font-weight:600}.bad{color:#b42318;font-weight:600}
        pre.prompt{background:#f6f6f6;padding:6px;white-space:pre-wrap}
        .columns{display:flex;gap:16px;flex-wrap:wrap}.tree-col{flex:1 1 480px;overflow:auto}.events-col{flex:1 1 380px}
        ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px;border-left:1px dashed #ccc}ul.tree{padding-left:4px;border:none}
        .node{margin:2px 0;padding:1px 6px;border-radius:4px;display:inline-block;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
        .node.chosen{background:#e3f5ea;outline:1px solid #18794e}.chosen-key{background:#e3f5ea;padding:0 4px}
        .node.pruned{color:#8a8a8a;background:#f2f2f2;border:1px dashed #c8c8c8}.pruned-key{background:#f2f2f2;color:#8a8a8a;padding:0 4px}
        .node.pruned .score{color:#8a8a8a}.why{color:#8a8a8a;font-style:italic;white-space:normal}
        .step{white-space:pre}.score{color:#1f5fa8}.paths{color:#8a5a00}.end{color:#555}.end.picked{color:#18794e;font-weight:600}
        """;

    // The filter and the expand/collapse buttons; nothing else runs, and nothing is fetched.
    private const string Script = """
        (function(){
          var filter=document.getElementById('strategy-filter');
          var searches=document.querySelectorAll('details.search');
          if(filter){filter.addEventListener('change',function(){
            searches.forEach(function(d){d.style.display=(!filter.value||d.dataset.strategy===filter.value)?'':'none';});});}
          function setAll(open){searches.forEach(function(d){if(d.style.display!=='none')d.open=open;});}
          var ex=document.getElementById('expand-all'),co=document.getElementById('collapse-all');
          if(ex)ex.addEventListener('click',function(){setAll(true);});
          if(co)co.addEventListener('click',function(){setAll(false);});
        })();
        """;
}
