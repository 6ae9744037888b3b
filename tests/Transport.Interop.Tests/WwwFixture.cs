namespace Transport.Interop.Tests;

/// <summary>A temporary web root with files of several sizes, a nested file and a file just outside the root.</summary>
public sealed class WwwFixture : IDisposable
{
    public WwwFixture()
    {
        Base = Path.Combine(Path.GetTempPath(), "transport-interop-tests-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(Base, "www");
        Directory.CreateDirectory(Path.Combine(Root, "dir"));
        var rng = new Random(42);
        Write("small.txt", 1000, rng);
        Write("empty.bin", 0, rng);
        Write("medium.bin", 100_000, rng);
        Write("large.bin", 10 * 1024 * 1024, rng);
        Write(Path.Combine("dir", "nested.txt"), 5000, rng);
        Write("name with space.txt", 10, rng);
        Directory.CreateDirectory(Path.Combine(Root, "many"));
        for (int i = 0; i < ManyCount; i++) Write(Path.Combine("many", $"f{i}.bin"), rng.Next(0, 5000), rng);
        File.WriteAllText(Path.Combine(Base, "secret.txt"), "outside the root");
    }

    public const int ManyCount = 150;

    public string Base { get; }
    public string Root { get; }

    public string NewDownloadDirectory()
    {
        string d = Path.Combine(Base, "dl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private void Write(string name, int size, Random rng)
    {
        var b = new byte[size];
        rng.NextBytes(b);
        File.WriteAllBytes(Path.Combine(Root, name), b);
    }

    public void Dispose()
    {
        try { Directory.Delete(Base, recursive: true); } catch (IOException) { }
    }
}
