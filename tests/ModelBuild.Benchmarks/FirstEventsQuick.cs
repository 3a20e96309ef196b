using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick first-events &lt;model&gt;`: what the runtime does during one model's first prediction in a fresh process,
/// from its own events (an in-process listener on "Microsoft-Windows-DotNETRuntime": JIT, loader, type loads and
/// ReadyToRun entry-point lookups). Prints how many of each and the slowest top-level type loads; MODELBUILD_EVENTS=path
/// also writes every event of the window there. The listener slows each event down, so the times say where the fixed
/// costs are, not what they cost without it (`quick cold` for that). Found this way: loading Vector256&lt;int&gt; and
/// Vector256&lt;float&gt; (with their generic interfaces) costs ≈ 1 ms of a first prediction whatever the model.
/// </summary>
internal static class FirstEventsQuick
{
    private const EventKeywords Keywords = (EventKeywords)(0x10 | 0x8 | 0x8000000000 | 0x2000000000); // JIT, loader, type diagnostics, R2R lookups

    public static void Run(string model)
    {
        using var listener = new RuntimeEvents();
        Thread.Sleep(300); // the listener's session starts asynchronously
        Console.WriteLine($"{model}: first prediction with the runtime's events listened to");
        int[] shape = ColdStart.Shapes[model];
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        Func<float[], int[], float> first = (x, s) => ColdModels.First(model, x, s);
        Thread.Sleep(300);
        var start = DateTime.UtcNow;
        long t0 = Stopwatch.GetTimestamp();
        first(input, shape);
        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var end = DateTime.UtcNow;
        Thread.Sleep(500); // events arrive on the listener's thread after the fact
        List<(DateTime At, string Name, string Text)> window = listener.Between(start, end);
        Console.WriteLine($"first prediction {ms:F2} ms (wall, with the listener); {window.Count} events");
        foreach (var kind in window.GroupBy(e => e.Name).OrderByDescending(g => g.Count()).Take(8))
        {
            Console.WriteLine($"  {kind.Count(),5}  {kind.Key}");
        }

        // Type loads nest (a type's interfaces and fields load inside it): time the outermost ones.
        var loads = new List<(double Ms, string Text)>();
        int depth = 0;
        DateTime opened = default;
        foreach (var e in window)
        {
            if (e.Name == "TypeLoadStart" && depth++ == 0)
            {
                opened = e.At;
            }
            else if (e.Name == "TypeLoadStop" && depth > 0 && --depth == 0)
            {
                loads.Add(((e.At - opened).TotalMilliseconds, e.Text));
            }
        }

        Console.WriteLine($"outermost type loads: {loads.Count}, {loads.Sum(l => l.Ms):F2} ms; the slowest:");
        foreach (var (loadMs, text) in loads.OrderByDescending(l => l.Ms).Take(12))
        {
            Console.WriteLine($"  {loadMs,6:F2} ms  {text}");
        }

        if (Environment.GetEnvironmentVariable("MODELBUILD_EVENTS") is { Length: > 0 } path)
        {
            File.WriteAllLines(path, window.Select(e => $"{e.At.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture)} {e.Name} {e.Text}"));
        }
    }

    private sealed class RuntimeEvents : EventListener
    {
        private readonly List<(DateTime At, string Name, string Text)> _events = [];

        public List<(DateTime At, string Name, string Text)> Between(DateTime start, DateTime end)
        {
            lock (_events)
            {
                return [.. _events.Where(e => e.At >= start && e.At <= end).OrderBy(e => e.At)];
            }
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, Keywords);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            // The payload's short fields (names, ids); long ones are signatures and paths.
            string text = e.Payload is null ? "" : string.Join(" ", e.Payload.Select(p => p?.ToString()).Where(s => s is { Length: > 0 and < 120 }));
            lock (_events)
            {
                _events.Add((e.TimeStamp.ToUniversalTime(), e.EventName ?? "?", text));
            }
        }
    }
}
