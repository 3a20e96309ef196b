using ModelBuild.Compression.Planning;

namespace ModelBuild.Compression.Tests.Planning;

public sealed class BufferAllocatorTests
{
    [Fact]
    public void Buffers_whose_lives_overlap_never_overlap_in_memory()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var alloc = new BufferAllocator();
            var lives = new List<(int First, int Last)>();
            for (var op = -1; op < 30; op++)
            {
                var id = alloc.Declare(random.Next(1, 100), op);
                var last = op + random.Next(0, 6);
                alloc.Use(id, last);
                lives.Add((op, last));
            }

            var (buffers, perSample) = alloc.Assign();
            for (var a = 0; a < buffers.Count; a++)
            {
                Assert.True(buffers[a].Offset + buffers[a].Size <= perSample);
                for (var b = a + 1; b < buffers.Count; b++)
                {
                    var liveTogether = lives[a].First <= lives[b].Last && lives[b].First <= lives[a].Last;
                    var memoryOverlaps = buffers[a].Offset < buffers[b].Offset + buffers[b].Size && buffers[b].Offset < buffers[a].Offset + buffers[a].Size;
                    Assert.False(liveTogether && memoryOverlaps, $"trial {trial}: buffers {a} and {b} overlap while both live");
                }
            }
        }
    }

    [Fact]
    public void A_chain_reuses_memory_instead_of_summing_all_buffers()
    {
        // in -> op0 -> op1 -> op2 -> op3: at most two neighbouring buffers are live at once.
        var alloc = new BufferAllocator();
        var previous = alloc.Declare(100, -1);
        for (var op = 0; op < 4; op++)
        {
            alloc.Use(previous, op);
            previous = alloc.Declare(100, op);
        }

        alloc.Pin(previous);
        var (_, perSample) = alloc.Assign();
        Assert.Equal(200, perSample);
    }
}
