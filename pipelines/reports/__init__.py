"""What the product writes for people: open data, the quarterly brief, the agenda packet, exports, the calendar."""
