using System.Runtime.InteropServices;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Kernels that read a few floats past what they use (<see cref="Im2Col.Gather"/>'s last 8-wide step reads one float after
/// a stride-2 row) must stay inside the span they were given. Here that span ends right before a page that cannot be
/// read (mmap + mprotect), so a read past it crashes the test host instead of reading a neighbour's memory silently.
/// Linux only (the mmap flags are Linux's); elsewhere the tests return without checking.
/// </summary>
public sealed unsafe class GuardPageTests
{
    private const int Page = 4096;

    [Fact]
    public void Gather_NeverReadsPastReadable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var rng = new Random(5);
        for (int n = 1; n <= 40; n++)
        {
            foreach (int extra in new[] { 0, 1, 2 })
            {
                int need = (2 * (n - 1)) + 1, readable = need + extra;
                using var src = new GuardedFloats(readable);
                TestData.Floats(rng, readable).CopyTo(src.Span);
                var dst = new float[n + 3];
                Array.Fill(dst, -7f);

                Im2Col.Gather(Simd.Best, ref src.Span[0], 2, ref dst[0], n, extra == 0 ? -1 : readable);

                for (int j = 0; j < n; j++)
                {
                    Assert.Equal(src.Span[2 * j], dst[j]);
                }

                Assert.All(dst[n..], v => Assert.Equal(-7f, v));
            }
        }
    }

    /// <summary>Stride-2 convs through im2col (outputs narrower than 16) and phase planes, the input's last float last before the guard.</summary>
    [Theory]
    [InlineData(3, 31, 31, 8, 3, 0)]
    [InlineData(2, 17, 17, 5, 3, 0)]
    [InlineData(3, 9, 41, 6, 3, 0)]
    [InlineData(3, 11, 45, 9, 5, 2)]
    public void StrideTwoConv_InputEndingAtAGuardPage(int c, int h, int w, int oc, int k, int pad)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int oh = ((h + (2 * pad) - k) / 2) + 1, ow = ((w + (2 * pad) - k) / 2) + 1;
        var s = new Conv2DShape(c, h, w, oc, oh, ow, k, k, 2, 2, 1, 1, pad, pad, pad, pad, 1);
        var rng = new Random(h + w);
        (WeightMatrix weights, double[] wd) = TestData.Matrix(rng, WeightFormat.Float32, oc, c * k * k);
        float[] xa = TestData.Floats(rng, c * h * w);
        using var x = new GuardedFloats(xa.Length);
        xa.CopyTo(x.Span);
        var y = new float[oc * oh * ow];

        Kernels.Conv2D(Simd.Best, x.Span, weights, [], y, new float[Kernels.Conv2DScratch(s)], s, 1, Activation.None);

        double[] expected = Reference.Conv(xa, wd, null, s, 1, false, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    /// <summary>n floats whose last one is the last before an unreadable page.</summary>
    private sealed class GuardedFloats : IDisposable
    {
        private readonly nint _mapping;
        private readonly nuint _length;
        private readonly int _count;

        public GuardedFloats(int count)
        {
            int bytes = (((count * sizeof(float)) + Page - 1) / Page * Page) + Page;
            _length = (nuint)bytes;
            _count = count;
            _mapping = mmap(0, _length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            Assert.NotEqual(-1, _mapping);
            Assert.Equal(0, mprotect(_mapping + bytes - Page, Page, ProtNone));
        }

        public Span<float> Span => new((float*)(_mapping + (nint)_length - Page) - _count, _count);

        public void Dispose() => munmap(_mapping, _length);
    }

    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(nint addr, nuint length, int prot);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(nint addr, nuint length);
}
