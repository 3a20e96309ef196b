namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Writes a set of outputs all-or-nothing: everything is staged first, then moved into place; a file whose
/// bytes did not change is left alone so its timestamp (and everything incremental downstream) stays put.
/// </summary>
internal static class OutputFiles
{
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<(string Path, byte[] Bytes)> files)
    {
        var staged = new List<(string Temp, string Path)>();
        try
        {
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
}
