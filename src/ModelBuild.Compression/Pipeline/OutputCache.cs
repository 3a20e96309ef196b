namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// A content-addressed store of finished compressions (<c>&lt;cache&gt;/&lt;Class&gt;-&lt;hash&gt;/</c>), keyed by
/// <see cref="ContentHash"/>: the model, the manifest, the data files it names and the ModelBuild build. Debug and
/// Release, every RuntimeIdentifier and a Rebuild write their outputs to different obj/ folders but need the same
/// bytes, so they copy them from here instead of compressing again.
/// </summary>
/// <remarks>
/// The cache is an optimisation only: an entry is complete or absent (staged in a temporary folder, then renamed),
/// and any I/O problem while storing or pruning is ignored, never a build error.
/// </remarks>
internal static class OutputCache
{
    /// <summary>Entries kept per class; older ones (earlier manifests) are deleted when a new one is stored.</summary>
    private const int EntriesPerClass = 4;

    public static string EntryDirectory(string cacheDirectory, string className, string hash) =>
        Path.Combine(cacheDirectory, className + "-" + hash[..Math.Min(16, hash.Length)]);

    /// <summary>Copies a cached result into <paramref name="outputDirectory"/>; false when there is none.</summary>
    public static bool TryRestore(string cacheDirectory, string className, string hash, string outputDirectory)
    {
        var entry = EntryDirectory(cacheDirectory, className, hash);
        var summary = Path.Combine(entry, className + ".summary");
        if (!File.Exists(summary) || File.ReadLines(summary).FirstOrDefault() != hash)
        {
            return false;
        }

        // Copied to staging files, never read whole (a large model's compressed .onnx data passes 2 GiB), then moved
        // into place together; the summary last, as the pipeline writes it.
        var files = Directory.GetFiles(entry).OrderBy(f => f.EndsWith(".summary", StringComparison.Ordinal)).ThenBy(f => f, StringComparer.Ordinal)
            .Select(f => (Path: Path.Combine(outputDirectory, Path.GetFileName(f)), Cached: f)).ToList();
        foreach (var optional in new[] { className + ".auto.compress.json", className + ".compressed.onnx.data" })
        {
            var stale = Path.Combine(outputDirectory, optional);
            if (File.Exists(stale) && !files.Any(f => f.Path == stale))
            {
                File.Delete(stale); // from an earlier build; it belongs to a model this entry is not
            }
        }

        var staged = new List<(string Path, string Staged)>();
        try
        {
            Directory.CreateDirectory(outputDirectory);
            foreach (var (path, cached) in files)
            {
                File.Copy(cached, OutputFiles.StagingPath(path), overwrite: true);
                staged.Add((path, OutputFiles.StagingPath(path)));
            }

            OutputFiles.WriteAll([], staged);
        }
        finally
        {
            foreach (var (_, temp) in staged)
            {
                OutputFiles.Discard(temp);
            }
        }

        TryIgnoringIo(() => Directory.SetLastWriteTimeUtc(entry, DateTime.UtcNow)); // most recently used survives pruning
        return true;
    }

    /// <summary>
    /// Stores a finished compression: <paramref name="files"/> by their bytes and <paramref name="copies"/> (outputs
    /// already in place, the large ones the pipeline streamed to disk) by copying the file.
    /// </summary>
    public static void Store(string cacheDirectory, string className, string hash, IReadOnlyList<(string Path, byte[] Bytes)> files,
        IReadOnlyList<string>? copies = null)
    {
        var entry = EntryDirectory(cacheDirectory, className, hash);
        var staging = entry + ".tmp-" + Environment.ProcessId;
        TryIgnoringIo(() =>
        {
            if (Directory.Exists(entry))
            {
                return;
            }

            Directory.CreateDirectory(staging);
            foreach (var path in copies ?? [])
            {
                File.Copy(path, Path.Combine(staging, Path.GetFileName(path)));
            }

            foreach (var (path, bytes) in files)
            {
                File.WriteAllBytes(Path.Combine(staging, Path.GetFileName(path)), bytes);
            }

            Directory.Move(staging, entry);
            var stale = new DirectoryInfo(cacheDirectory).GetDirectories(className + "-*")
                .Where(d => !d.Name.Contains(".tmp-", StringComparison.Ordinal))
                .OrderByDescending(d => d.LastWriteTimeUtc).Skip(EntriesPerClass);
            foreach (var old in stale)
            {
                old.Delete(recursive: true);
            }
        });
        TryIgnoringIo(() =>
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        });
    }

    private static void TryIgnoringIo(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another build stored the same entry first, or the cache folder is read-only: compressing again next
            // time is the only cost.
        }
    }
}
