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
    /// The 512-bit GEMM tile that AVX-512 hardware takes (<see cref="BlockedWinograd.ZmmGemm"/>) and the precompiled 256-bit
    /// tile over the same 32-channel panels that a process runs before it (<see cref="BlockedWinograd.ZmmAfterMacs"/>) give
    /// the bits of the 256-bit tile over 16-channel panels, for channel counts that fill 32-channel panels (64, 128) and
    /// that are padded to them (80, 100), with tile counts that fill the 6-row register tile and that leave part of it.
    /// </summary>
    [SkippableTheory]
    [InlineData(2)]
    [InlineData(4)]
    public void ZmmGemm_GivesTheBitsOfThe256BitTile(int tile)
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "no AVX-512 here: the 512-bit GEMM tile does not run");
        bool saved = BlockedWinograd.ZmmGemm;
        long savedAfter = BlockedWinograd.ZmmAfterMacs;
        try
        {
            foreach (int oc in new[] { 64, 80, 100, 128 })
            {
                foreach (int hw in new[] { 7, 9 })
                {
                    var s = new Conv2DShape(24, hw + 2, hw + 2, oc, hw, hw, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1);
                    float[] Run(bool zmm, long after)
                    {
                        BlockedWinograd.ZmmGemm = zmm;
                        BlockedWinograd.ZmmAfterMacs = after;
                        return BlockedWinogradTests.RunSpacedImages(SimdLevel.Vector256, tile, s, new Random(oc + tile + hw));
                    }

                    float[] narrow = Run(false, 0);
                    Assert.Equal(narrow, Run(true, 0));
                    Assert.Equal(narrow, Run(true, long.MaxValue));
                }
            }
        }
        finally
        {
            BlockedWinograd.ZmmGemm = saved;
            BlockedWinograd.ZmmAfterMacs = savedAfter;
        }
    }
}
