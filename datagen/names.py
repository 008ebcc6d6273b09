"""Word lists the generator draws names from."""

FIRST_NAMES = (
    "Ada Alan Amara Ana Ben Carla Chen Dana Diego Elena Emil Fatima Grace Hana Ivan Jamal Jonas Kai "
    "Lars Lena Leo Lina Luca Maya Mei Mila Nadia Noah Nora Omar Priya Rafael Rosa Sam Sara Sofia "
    "Tariq Theo Uma Vera Yara Yusuf Zoe"
).split()

LAST_NAMES = (
    "Adams Berg Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kim Kowalski Lopez Meyer "
    "Moreau Nakamura Novak Okafor Patel Quinn Rossi Santos Schmidt Silva Tanaka Ueda Virtanen "
    "Wagner Weber Xu Yilmaz Zhang"
).split()

ADJECTIVES = (
    "Classic Compact Deluxe Eco Essential Everyday Grand Handy Light Mini Modern Organic Pro Pure "
    "Rapid Smart Soft Solid Sport Ultra Urban Vintage"
).split()

CATEGORIES = {
    "electronics": ("Headphones", "Charger", "Speaker", "Keyboard", "Monitor", "Camera"),
    "home": ("Lamp", "Kettle", "Blanket", "Vase", "Clock", "Pillow"),
    "kitchen": ("Pan", "Knife Set", "Blender", "Mug", "Grinder", "Toaster"),
    "garden": ("Hose", "Planter", "Shears", "Seed Kit", "Lantern", "Bench"),
    "sports": ("Yoga Mat", "Dumbbell", "Bottle", "Racket", "Helmet", "Backpack"),
    "toys": ("Puzzle", "Robot", "Kite", "Blocks", "Doll", "Board Game"),
    "beauty": ("Shampoo", "Serum", "Brush", "Perfume", "Cream", "Razor"),
    "books": ("Novel", "Cookbook", "Atlas", "Journal", "Comic", "Guide"),
}

SUPPLIERS = (
    "Acme Corp",
    "Blue Harbor",
    "Cobalt Trading",
    "Delta Goods",
    "Evergreen Supply",
    "Fjord Imports",
    "Granite Works",
    "Helix Partners",
    "Iris Wholesale",
    "Juniper & Co",
    "Kestrel Ltd",
    "Lumen Group",
)
