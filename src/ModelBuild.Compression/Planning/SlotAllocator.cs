namespace ModelBuild.Compression.Planning;

/// <summary>
/// Assigns arena slots to activations by liveness. Values that share storage (a Reshape's output and its input,
/// an in-place activation) form one group; a group lives from the first op that writes a member to the last
/// op that reads one (to the end for graph outputs). Groups whose lives do not overlap share a slot, so a deep
/// network needs about as many slots as its widest cut, whatever the shapes turn out to be at run time. A single graph
/// input's group can keep its slot to itself (see <see cref="Assign"/>).
/// </summary>
internal sealed class SlotAllocator
{
    private readonly List<int> _parent = new();
    private readonly List<int> _first = new();
    private readonly List<int> _last = new();
    private readonly List<int> _reads = new();
    private readonly List<int> _members = new();

    /// <summary>Declares an activation written by op <paramref name="op"/> (−1 for graph inputs).</summary>
    public int Declare(int op)
    {
        _parent.Add(_parent.Count);
        _first.Add(op);
        _last.Add(op);
        _reads.Add(0);
        _members.Add(1);
        return _parent.Count - 1;
    }

    /// <summary>Records that op <paramref name="op"/> reads activation <paramref name="id"/>.</summary>
    public void Read(int id, int op)
    {
        var g = Find(id);
        _last[g] = Math.Max(_last[g], op);
        _reads[id]++;
    }

    /// <summary>How many reads of activation <paramref name="id"/> itself (not its group) were recorded.</summary>
    public int Reads(int id) => _reads[id];

    /// <summary>Whether activation <paramref name="id"/> shares its storage with no other (no view, in-place op or concat part).</summary>
    public bool IsAlone(int id) => _members[Find(id)] == 1;

    /// <summary>The last op that reads the group of <paramref name="id"/> so far.</summary>
    public int LastRead(int id) => _last[Find(id)];

    /// <summary>The first op that writes a member of the group of <paramref name="id"/> (−1 for graph inputs).</summary>
    public int FirstWrite(int id) => _first[Find(id)];

    /// <summary>Keeps the group of <paramref name="id"/> alive to the end (graph outputs).</summary>
    public void Pin(int id) => _last[Find(id)] = int.MaxValue;

    /// <summary>Makes <paramref name="b"/> share <paramref name="a"/>'s storage.</summary>
    public void Join(int a, int b)
    {
        int ga = Find(a), gb = Find(b);
        if (ga == gb)
        {
            return;
        }

        _parent[gb] = ga;
        _members[ga] += _members[gb];
        _first[ga] = Math.Min(_first[ga], _first[gb]);
        _last[ga] = Math.Max(_last[ga], _last[gb]);
    }

    /// <summary>The slot of each declared activation: greedy interval colouring in order of first write.</summary>
    /// <param name="reserveInputs">
    /// Give graph inputs' groups slots no later group reuses, so the runtime can read a single-input model's input where
    /// the caller's memory lies (ModelProgram.ReadsInPlace); multi-input predictors copy their inputs, so reserving would
    /// only hold arena memory.
    /// </param>
    public int[] Assign(bool reserveInputs)
    {
        var groups = Enumerable.Range(0, _parent.Count).Where(i => Find(i) == i).OrderBy(g => _first[g]).ThenBy(g => g).ToList();
        var slotOfGroup = new Dictionary<int, int>();
        var slotFreeAfter = new List<int>();
        foreach (var g in groups)
        {
            // A slot is free once its last reader has run; the writer of g runs at _first[g], so the reader must be earlier
            // (an op never writes the slot it reads unless the planner joined them into one group on purpose).
            bool reserved = reserveInputs && _first[g] < 0;
            var slot = reserved ? -1 : slotFreeAfter.FindIndex(end => end < _first[g]);
            if (slot < 0)
            {
                slotFreeAfter.Add(reserved ? int.MaxValue : _last[g]);
                slot = slotFreeAfter.Count - 1;
            }
            else
            {
                slotFreeAfter[slot] = _last[g];
            }

            slotOfGroup[g] = slot;
        }

        return Enumerable.Range(0, _parent.Count).Select(i => slotOfGroup[Find(i)]).ToArray();
    }

    private int Find(int i)
    {
        while (_parent[i] != i)
        {
            _parent[i] = _parent[_parent[i]];
            i = _parent[i];
        }

        return i;
    }
}
