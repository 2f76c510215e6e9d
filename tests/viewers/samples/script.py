"""Where the meeting is."""


def meeting(place="the old oak", hour=12):
    return f"Meet me at {place} at {hour}:00."


if __name__ == "__main__":
    print(meeting())
