using ModelBuild.Compression.Passes.LowRank;

namespace ModelBuild.Compression.Manifest;

/// <summary>Reader of the <c>lowrank</c> pass.</summary>
internal static partial class ManifestReader
{
    private static readonly string[] LowRankKeys = ["energy", "exclude", "layers", "rank", "reconstruct", "ridge"];

    static partial void RegisterLowRank(IDictionary<string, Func<JsonObject, string, PassSpec>> table) => table[LowRankSpec.PassName] = ReadLowRank;

    private static LowRankSpec ReadLowRank(JsonObject settings, string path)
    {
        CheckKeys(settings, LowRankKeys, path, "in the 'lowrank' pass");
        var rankNode = Find(settings, "rank");
        var energyNode = Find(settings, "energy");
        if (rankNode is not null && energyNode is not null)
        {
            throw BadValue(path, energyNode, "give either 'rank' or 'energy', not both");
        }

        if (rankNode is null && energyNode is null)
        {
            throw BadValue(path, settings, "the 'lowrank' pass needs \"rank\" (a whole number) or \"energy\" (0 to 1, the retained share of squared singular values)");
        }

        int? rank = rankNode is null ? null : ReadInt(settings, "rank", 1, 1, 1 << 20, path);
        double? energy = energyNode is null ? null : ReadNumber(settings, "energy", 1, 1e-6, 1, path);
        return new LowRankSpec(rank, energy, ReadStrings(settings, "layers", path), ReadStrings(settings, "exclude", path),
            ReadBool(settings, "reconstruct", false, path), ReadNumber(settings, "ridge", 0.01, 0, 1e6, path));
    }
}
