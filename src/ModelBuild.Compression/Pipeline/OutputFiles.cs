namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Writes a set of outputs all-or-nothing: everything is staged first, then moved into place; a file whose
/// bytes did not change is left alone so its timestamp (and everything incremental downstream) stays put.
/// </summary>
internal static class OutputFiles
{
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<(string Path, byte[] Bytes)> files) => WriteAll(files, []);

    /// <summary>
    /// As above, with <paramref name="streamed"/> outputs already written in full to a staging file beside their target
    /// (<see cref="Stage"/>: the weights blob and compressed .onnx of a multi-gigabyte model are never one array,
    /// issue 12). Each is moved into place first, or deleted when the target already holds the same bytes.
    /// </summary>
    /// <returns>The outputs whose bytes changed, streamed ones first.</returns>
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<(string Path, byte[] Bytes)> files, IReadOnlyList<(string Path, string Staged)> streamed)
    {
        var staged = new List<(string Temp, string Path)>();
        try
        {
            foreach (var (path, temp) in streamed)
            {
                if (File.Exists(path) && SameBytes(temp, path))
                {
                    File.Delete(temp);
                    continue;
                }

                staged.Add((temp, path));
            }

            foreach (var (path, bytes) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                if (File.Exists(path) && new FileInfo(path).Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
                {
                    continue;
                }

                var temp = path + ".tmp-" + Environment.ProcessId;
                File.WriteAllBytes(temp, bytes);
                staged.Add((temp, path));
            }

            foreach (var (temp, path) in staged)
            {
                File.Move(temp, path, overwrite: true);
            }

            return staged.Select(s => s.Path).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (temp, _) in staged)
            {
                File.Delete(temp);
            }

            throw new ModelBuildException("MB0006", files.Count > 0 ? files[0].Path : null, $"cannot write the outputs: {e.Message}", inner: e);
        }
    }

    /// <summary>
    /// Writes an output's bytes with <paramref name="write"/> into a staging file beside <paramref name="path"/>, for
    /// <see cref="WriteAll(IReadOnlyList{ValueTuple{string, byte[]}}, IReadOnlyList{ValueTuple{string, string}})"/> to move
    /// into place. The caller deletes it if the run fails before that (<see cref="Discard"/>).
    /// </summary>
    /// <returns>The staging file.</returns>
    /// <exception cref="ModelBuildException">MB0006 when the file cannot be written.</exception>
    public static string Stage(string path, Action<Stream> write)
    {
        var temp = StagingPath(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1 << 20))
            {
                write(stream);
            }

            return temp;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Discard(temp);
            throw new ModelBuildException("MB0006", path, $"cannot write the outputs: {e.Message}", inner: e);
        }
        catch
        {
            Discard(temp);
            throw;
        }
    }

    /// <summary>The staging file of <paramref name="path"/> for this process.</summary>
    public static string StagingPath(string path) => path + ".partial-" + Environment.ProcessId;

    /// <summary>Deletes a staging file if it is still there (a failed run leaves nothing half-written).</summary>
    public static void Discard(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder went away or became read-only: nothing was moved into place, which is what matters.
        }
    }

    /// <summary>True when the two files hold the same bytes (compared in chunks, never read whole).</summary>
    private static bool SameBytes(string a, string b)
    {
        using var first = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        using var second = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (first.Length != second.Length)
        {
            return false;
        }

        var x = new byte[1 << 20];
        var y = new byte[1 << 20];
        int n;
        while ((n = first.ReadAtLeast(x, x.Length, throwOnEndOfStream: false)) > 0)
        {
            second.ReadExactly(y, 0, n);
            if (!x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, n)))
            {
                return false;
            }
        }

        return true;
    }
}
