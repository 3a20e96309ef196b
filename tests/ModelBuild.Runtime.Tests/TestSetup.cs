using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime.Tests;

internal static class TestSetup
{
    /// <summary>
    /// On AVX-512 hardware a process runs the packed conv's 256-bit tiles until 1 G multiply-adds have gone through them
    /// (<see cref="ConvGemm.ZmmAfterMacs"/>); the tests switch at once, so the default pass covers the 512-bit tiles on such
    /// machines (whether a test reached them would otherwise depend on the order tests run in) and the
    /// <c>DOTNET_EnableAVX512=0</c> pass covers the 256-bit ones. <see cref="ConvZmmTileTests"/> compares the two. The same for
    /// the batch-1 Dense head and its precompiled twin (<see cref="DenseBlocksZmm.AfterMacs"/>, <see cref="DenseZmmTwinTests"/>)
    /// and the blocked Winograd GEMM's and the batched Dense GEMM's 512-bit tiles (<see cref="BlockedWinograd.ZmmAfterMacs"/>,
    /// <see cref="BlockedWinogradChunkTests"/>; <see cref="DenseGemm.ZmmAfterMacs"/>, <see cref="DenseZmmTwinTests"/>), and the
    /// integer kernels' AVX-VNNI forms (<see cref="VnniSwitch.AfterMacs"/>, <see cref="VnniForms"/>).
    /// </summary>
    [ModuleInitializer]
    internal static void UseThe512BitKernelsAtOnce()
    {
        ConvGemm.ZmmAfterMacs = 0;
        DenseBlocksZmm.AfterMacs = 0;
        BlockedWinograd.ZmmAfterMacs = 0;
        DenseGemm.ZmmAfterMacs = 0;
        VnniSwitch.AfterMacs = 0;
    }
}
