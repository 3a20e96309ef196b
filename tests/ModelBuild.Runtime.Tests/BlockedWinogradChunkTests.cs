namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="BlockedWinograd"/> with one tile row per chunk (<see cref="BlockedWinograd.ChunkFloats"/> = 1): a row's
/// partial last strip is stored whole and spills into the next row's first pixels, which a later chunk writes. Output
/// widths with one and two strips, images spaced apart with sentinels between them: the outputs must match the float64
/// reference and the unchunked run bit for bit, and no float between the images may change.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class BlockedWinogradChunkTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 2)]
    [InlineData(2, 4)]
    public void OneTileRowPerChunk_SameBitsAsWhole_GapsUntouched(int level, int tile)
    {
        int saved = BlockedWinograd.ChunkFloats;
        try
        {
            foreach (int ow in new[] { 5, 7, 9, 13, 15 })
            {
                var s = new Conv2DShape(24, 18, ow + 2, 20, 16, ow, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1);
                BlockedWinograd.ChunkFloats = saved;
                float[] whole = BlockedWinogradTests.RunSpacedImages((SimdLevel)level, tile, s, new Random(ow + tile));
                BlockedWinograd.ChunkFloats = 1;
                float[] chunked = BlockedWinogradTests.RunSpacedImages((SimdLevel)level, tile, s, new Random(ow + tile));
                Assert.Equal(whole, chunked);
            }
        }
        finally
        {
            BlockedWinograd.ChunkFloats = saved;
        }
    }

    /// <summary>
    /// The 512-bit GEMM tile that AVX-512 hardware takes (<see cref="BlockedWinograd.ZmmGemm"/>) gives the bits of the 256-bit
    /// tile, for channel counts that fill 32-channel panels (64, 128) and that are padded to them (80, 100).
    /// </summary>
    [SkippableTheory]
    [InlineData(2)]
    [InlineData(4)]
    public void ZmmGemm_GivesTheBitsOfThe256BitTile(int tile)
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "no AVX-512 here: the 512-bit GEMM tile does not run");
        bool saved = BlockedWinograd.ZmmGemm;
        try
        {
            foreach (int oc in new[] { 64, 80, 100, 128 })
            {
                var s = new Conv2DShape(24, 9, 9, oc, 7, 7, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1);
                BlockedWinograd.ZmmGemm = true;
                float[] wide = BlockedWinogradTests.RunSpacedImages(SimdLevel.Vector256, tile, s, new Random(oc + tile));
                BlockedWinograd.ZmmGemm = false;
                float[] narrow = BlockedWinogradTests.RunSpacedImages(SimdLevel.Vector256, tile, s, new Random(oc + tile));
                Assert.Equal(narrow, wide);
            }
        }
        finally
        {
            BlockedWinograd.ZmmGemm = saved;
        }
    }
}
