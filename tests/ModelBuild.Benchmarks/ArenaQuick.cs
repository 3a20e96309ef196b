using System.Runtime.InteropServices;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick arena</c>: does the placement of an op's output relative to its input matter? Times a streaming op
/// (ReLU, x → y, 64 KiB, L2-resident) and a small conv (3×3, 16 → 16 channels on 32×32) with y placed at
/// 0, ±64, 256 and 2048 bytes off x modulo 4 KiB (4K aliasing: a load whose address matches an earlier in-flight store
/// in the low 12 bits waits for it), and with x misaligned by 8 bytes (a split cache line every other 32-byte vector,
/// what a plain <c>float[]</c> gives). Thread CPU time, best of 7 rounds, ns per output element.
/// </summary>
internal static class ArenaQuick
{
    public static void Run()
    {
        const int N = 16 * 1024, Page = 4096;
        var conv = new Conv2DShape(16, 32, 32, 16, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var rng = new Random(5);
        var wq = new sbyte[16 * 16 * 9];
        rng.NextBytes(MemoryMarshal.AsBytes(wq.AsSpan()));
        float[] scales = [.. Enumerable.Range(0, 16).Select(_ => 0.01f)];
        var w = new WeightMatrix(16, 16 * 9, WeightFormat.Int8, [], wq, scales, []);
        var scratch = new float[Kernels.Conv2DScratch(conv)];
        float[] bias = new float[16];

        // One page-aligned pinned block: x at page 0 (or 8 bytes past it), y 32 pages later plus the offset.
        byte[] block = GC.AllocateArray<byte>((80 * Page) + Page, pinned: true);
        nint start = Marshal.UnsafeAddrOfPinnedArrayElement(block, 0);
        int pageOffset = (int)((Page - (start & (Page - 1))) & (Page - 1));
        foreach ((string name, int xShift, int yOffset) in new[] { ("aligned, y ≡ x+256", 0, 256), ("aligned, y ≡ x", 0, 0), ("aligned, y ≡ x+64", 0, 64), ("aligned, y ≡ x−64", 0, -64), ("aligned, y ≡ x+2048", 0, 2048), ("x 8 B off, y ≡ x+256", 8, 256) })
        {
            var x = MemoryMarshal.Cast<byte, float>(block.AsSpan(pageOffset + xShift, N * 4));
            var y = MemoryMarshal.Cast<byte, float>(block.AsSpan(pageOffset + (32 * Page) + xShift + yOffset, N * 4));
            for (int i = 0; i < N; i++)
            {
                x[i] = (i % 7) - 3;
            }

            double relu = Time(() =>
            {
                var xs = MemoryMarshal.Cast<byte, float>(block.AsSpan(pageOffset + xShift, N * 4));
                var ys = MemoryMarshal.Cast<byte, float>(block.AsSpan(pageOffset + (32 * Page) + xShift + yOffset, N * 4));
                Kernels.Unary(UnaryFunction.Relu, xs, ys, 0, 0);
            }) / N;
            double conv3 = Time(() =>
            {
                var xs = MemoryMarshal.Cast<byte, float>(block.AsSpan(pageOffset + xShift, N * 4));
                var ys = MemoryMarshal.Cast<byte, float>(block.AsSpan(pageOffset + (32 * Page) + xShift + yOffset, N * 4));
                Kernels.Conv2D(xs, w, bias, ys, scratch, conv, 1, Activation.Relu);
            }) / N;
            Console.WriteLine($"{name,-24} relu {relu,7:F3} ns/elem   conv3x3 16→16 32×32 {conv3,7:F3} ns/output");
        }
    }

    private static double Time(Action action)
    {
        for (int i = 0; i < 200; i++)
        {
            action();
        }

        double best = double.MaxValue;
        for (int round = 0; round < 7; round++)
        {
            long t0 = ThreadClock.Nanoseconds();
            for (int i = 0; i < 200; i++)
            {
                action();
            }

            best = Math.Min(best, (ThreadClock.Nanoseconds() - t0) / 200.0);
        }

        return best;
    }
}
