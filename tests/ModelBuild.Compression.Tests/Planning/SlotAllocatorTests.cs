using ModelBuild.Compression.Planning;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// Arena slots by liveness (<see cref="SlotAllocator"/>): a later group reuses a slot whose last reader has run, except a
/// single graph input's, which stays its own so the runtime can read the input where the caller's memory lies.
/// </summary>
public sealed class SlotAllocatorTests
{
    // input (and a Reshape view of it) read by op 0 → a → b → c (an output), each read by the next op.
    private static (SlotAllocator Slots, int Input, int View, int A, int B, int C) Chain()
    {
        var s = new SlotAllocator();
        int input = s.Declare(-1);
        int view = s.Declare(0);
        s.Join(input, view);
        int a = s.Declare(0);
        s.Read(view, 0);
        int b = s.Declare(1);
        s.Read(a, 1);
        int c = s.Declare(2);
        s.Read(b, 2);
        s.Pin(c);
        return (s, input, view, a, b, c);
    }

    [Fact]
    public void Without_reserving_a_later_value_reuses_the_inputs_slot()
    {
        var (s, input, _, _, b, _) = Chain();
        int[] slots = s.Assign(reserveInputs: false);
        Assert.Equal(slots[input], slots[b]);
        Assert.Equal(2, slots.Distinct().Count());
    }

    [Fact]
    public void A_reserved_input_keeps_its_slot_and_views_of_it_share_it()
    {
        var (s, input, view, a, b, c) = Chain();
        int[] slots = s.Assign(reserveInputs: true);

        Assert.Equal(slots[input], slots[view]);
        Assert.DoesNotContain(slots[input], new[] { slots[a], slots[b], slots[c] });
        Assert.Equal(slots[a], slots[c]); // the others still reuse each other's slots
    }
}
