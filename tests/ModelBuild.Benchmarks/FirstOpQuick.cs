using System.Diagnostics;
using System.Diagnostics.Tracing;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

internal static class FirstOpQuick
{
    private sealed class All : EventListener
    {
        public List<string> Lines { get; } = [];

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)(0x10 | 0x8 | 0x8000000000 | 0x2000000000));
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            string payload = e.Payload is null ? "" : string.Join(" ", e.Payload.Select(p => p?.ToString()).Where(s => s is { Length: > 0 and < 120 }));
            lock (Lines)
            {
                Lines.Add($"{e.TimeStamp:HH:mm:ss.ffffff} {e.EventName} {payload}");
            }
        }
    }

    public static void Run(string model)
    {
        using var listener = new All();
        Thread.Sleep(300);
        Console.WriteLine("warm console");
        int[] shape = ColdStart.Shapes[model];
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        Thread.Sleep(300);
        var start = DateTime.UtcNow;
        long t0 = Stopwatch.GetTimestamp();
        ColdModels.First(model, input, shape);
        double ms = (Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency;
        var end = DateTime.UtcNow;
        Thread.Sleep(500);
        Console.WriteLine($"first {ms:F2} ms");
        lock (listener.Lines)
        {
            var inWindow = listener.Lines.Where(l => string.CompareOrdinal(l[..15], start.ToString("HH:mm:ss.ffffff")) >= 0 && string.CompareOrdinal(l[..15], end.ToString("HH:mm:ss.ffffff")) <= 0).ToList();
            File.WriteAllLines("/tmp/firstop-events.txt", inWindow);
            // top-level type loads: depth counting
            int depth = 0; DateTime? t = null; double typeMs = 0; int typeCount = 0; string? firstName = null;
            var byName = new List<(double, string)>();
            foreach (var l in inWindow)
            {
                var ts = DateTime.ParseExact(l[..15], "HH:mm:ss.ffffff", null);
                if (l.Contains(" TypeLoadStart ")) { if (depth++ == 0) { t = ts; } }
                else if (l.Contains(" TypeLoadStop ")) { if (--depth == 0 && t is { } s0) { double d = (ts - s0).TotalMilliseconds; typeMs += d; typeCount++; byName.Add((d, l[30..Math.Min(l.Length, 160)])); } }
            }
            Console.WriteLine($"top-level type loads {typeCount}, {typeMs:F2} ms; events {inWindow.Count}; R2R entry points {inWindow.Count(l => l.Contains(" R2RGetEntryPoint "))}; JIT {inWindow.Count(l => l.Contains("MethodJittingStarted"))}");
            foreach (var (d, n) in byName.OrderByDescending(b => b.Item1).Take(25)) Console.WriteLine($"  {d:F2} {n}");
        }
    }
}
