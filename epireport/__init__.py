"""Builds a township's 疫情防控专项工作报告 from the raw village and clinic files."""
