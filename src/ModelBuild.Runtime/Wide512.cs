using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Whether the 512-bit kernels run (<see cref="Vector512.IsHardwareAccelerated"/>), as a field that shared dispatch code
/// reads instead of the intrinsic. ReadyToRun code is compiled for x86-64-v3, and the runtime rejects a precompiled method
/// that tests the intrinsic on an AVX-512 processor (its answer changes there): the method then starts as unoptimised
/// tier-0 code in the first prediction (ConvGemm.RunPacked ran a whole ppocr_rec convolution so, then 15 ms of
/// on-stack-replacement compiling). A field reads the same on every processor, so the dispatch stays precompiled;
/// tier-1 code folds it to a constant. Most 512-bit kernels are marked AggressiveOptimization: they run only on AVX-512
/// processors, where no precompiled code of theirs could be used, so they compile once, optimised, instead of running
/// as tier-0 code until on-stack replacement. The conv tiles (8 × 48, 4 × 48, 8 × 16) too, since their epilogue is
/// branch-free (<see cref="ZmmEpilogue"/>): with a flag test per store the 8 × 48 tile's compile took 13.5–15 ms, now 4–5 ms;
/// and a process compiles them only once enough work has gone through the precompiled 256-bit tiles (<see cref="ConvGemm.ZmmAfterMacs"/>).
/// </summary>
internal static class Wide512
{
    public static readonly bool Enabled = Vector512.IsHardwareAccelerated;
}
