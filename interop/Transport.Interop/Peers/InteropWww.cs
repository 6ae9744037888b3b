namespace Transport.Interop.Peers;

/// <summary>
/// Generates a run's /www like the runner does: random file contents under kebab-case three-word names
/// ("quick-brown-fox"), or under random lowercase names of a given length (zerortt uses 250 letters). Deterministic
/// for a seed.
/// </summary>
public sealed class InteropWww
{
    private static readonly string[] Words =
    [
        "amber", "brave", "calm", "dusty", "eager", "fuzzy", "gentle", "happy", "icy", "jolly", "keen", "lucky",
        "mighty", "noble", "odd", "proud", "quick", "rapid", "shy", "tidy", "urban", "vivid", "witty", "young",
        "zesty", "apple", "badger", "cedar", "dolphin", "ember", "falcon", "garnet", "harbor", "island", "jungle",
        "kettle", "lantern", "meadow", "nectar", "otter", "pebble", "quartz", "river", "saddle", "tulip", "umbrella",
        "violet", "walrus", "yonder", "zephyr", "anchor", "bison", "comet", "dune", "fern", "glacier", "heron", "iris",
    ];

    private readonly Random _random;
    private readonly List<string> _files = [];

    /// <summary>Uses (and creates) <paramref name="root"/>; contents and names follow from <paramref name="seed"/>.</summary>
    public InteropWww(string root, int seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = root;
        Directory.CreateDirectory(root);
        _random = new Random(seed);
    }

    /// <summary>The web root directory.</summary>
    public string Root { get; }

    /// <summary>Names of the files added so far, in order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Adds a file of <paramref name="size"/> random bytes under a new three-word name; returns the name.</summary>
    public string AddFile(int size)
    {
        string name;
        do name = $"{Pick()}-{Pick()}-{Pick()}";
        while (File.Exists(Path.Combine(Root, name)));
        return AddFile(name, size);
    }

    /// <summary>Adds a file of <paramref name="size"/> random bytes under a random lowercase name of <paramref name="nameLength"/> letters.</summary>
    public string AddFileWithRandomName(int size, int nameLength)
    {
        if (nameLength is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(nameLength), nameLength, "A file name has 1..255 characters.");
        string name;
        Span<char> chars = stackalloc char[nameLength];
        do
        {
            for (int i = 0; i < chars.Length; i++) chars[i] = (char)('a' + _random.Next(26));
            name = new string(chars);
        }
        while (File.Exists(Path.Combine(Root, name)));
        return AddFile(name, size);
    }

    /// <summary>Adds a file of <paramref name="size"/> random bytes named <paramref name="name"/>; returns the name.</summary>
    public string AddFile(string name, int size)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/') || name.Contains('\\') || name is "." or "..")
            throw new ArgumentException($"'{name}' is not a plain file name.", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        byte[] data = new byte[size];
        _random.NextBytes(data);
        File.WriteAllBytes(Path.Combine(Root, name), data);
        _files.Add(name);
        return name;
    }

    private string Pick() => Words[_random.Next(Words.Length)];
}
